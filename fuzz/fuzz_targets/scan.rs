//! Fuzz target `scan`: the invariants are in `fuzz/checks.rs` (`checks::scan`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::scan(data));
