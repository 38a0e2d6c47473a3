//! Fuzz target `availability`: the invariants are in `fuzz/checks.rs` (`checks::availability`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::availability(data));
