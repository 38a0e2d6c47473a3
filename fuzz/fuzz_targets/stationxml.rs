//! Fuzz target `stationxml`: the invariants are in `fuzz/checks.rs` (`checks::stationxml`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::stationxml(data));
