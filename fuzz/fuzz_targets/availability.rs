//! The FDSN availability response parser (`source::availability::parse_availability`,
//! text and JSON) on any body.
//!
//! Invariant checked, beyond "no panic, bounded memory": an error is `Error::Http` naming
//! the URL asked with the status 200 (the body, not the transport, was wrong).
#![no_main]

use libfuzzer_sys::fuzz_target;
use siqaco::source::availability::parse_availability;
use siqaco::Error;

const URL: &str = "http://fuzz.invalid/fdsnws/availability/1/query";

fuzz_target!(|data: &[u8]| {
    match parse_availability(data, URL) {
        Ok(_) => {}
        Err(Error::Http { url, status, .. }) => {
            assert_eq!(url, URL);
            assert_eq!(status, Some(200));
        }
        Err(other) => panic!("not an HTTP error naming the URL: {other:?}"),
    }
});
