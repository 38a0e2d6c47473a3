//! Fuzz target `decode`: the invariants are in `fuzz/checks.rs` (`checks::decode`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::decode(data));
