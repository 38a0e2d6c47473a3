//! Fuzz target `template`: the invariants are in `fuzz/checks.rs` (`checks::template`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::template(data));
