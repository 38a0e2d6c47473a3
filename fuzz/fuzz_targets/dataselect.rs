//! Fuzz target `dataselect`: the invariants are in `fuzz/checks.rs` (`checks::dataselect`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::dataselect(data));
