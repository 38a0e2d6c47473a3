//! The StationXML reader (`stationxml::parse_stationxml`) on any bytes.
//!
//! Invariants checked, beyond "no panic, bounded memory and time" (entity expansion and
//! deep nesting must be refused, not followed):
//! - an error is `Error::StationXml` naming the document, with a line within the document;
//! - an inventory's channels carry the network and station codes of their enclosing
//!   elements, and parsing the same bytes again gives the same inventory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use siqaco::stationxml::parse_stationxml;
use siqaco::Error;

const NAME: &str = "fuzz.xml";

fuzz_target!(|data: &[u8]| {
    match parse_stationxml(data, NAME) {
        Err(Error::StationXml { path, line, .. }) => {
            assert_eq!(path.to_str(), Some(NAME));
            let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            assert!(line <= lines, "error line {line} past the {lines} lines of the document");
        }
        Err(other) => panic!("not a StationXML error: {other:?}"),
        Ok(inv) => {
            for net in &inv.networks {
                for sta in &net.stations {
                    for cha in &sta.channels {
                        assert_eq!(cha.nslc.network, net.code);
                        assert_eq!(cha.nslc.station, sta.code);
                    }
                }
            }
            // Deterministic (compared through JSON so that NaN values compare equal).
            let again = parse_stationxml(data, NAME).expect("second parse failed");
            assert_eq!(
                serde_json::to_string(&inv).ok(),
                serde_json::to_string(&again).ok()
            );
        }
    }
});
