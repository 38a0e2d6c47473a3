//! The `siqaco` command-line tool.
fn main() {}
