//! Fuzz target `config`: the invariants are in `fuzz/checks.rs` (`checks::config`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::config(data));
