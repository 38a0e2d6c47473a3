//! The update configuration (`update::config::Config::from_str_in`, a `siqaco.toml`) on
//! any text.
//!
//! Invariants checked, beyond "no panic": an accepted configuration has its archive and
//! every path resolved against the base directory (never relative), an archive layout
//! that reads back to itself from its text, and sources sorted by priority.
#![no_main]

use libfuzzer_sys::fuzz_target;
use siqaco::archive::Layout;
use siqaco::update::config::Config;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let base = Path::new("/fuzz-base");
    let Ok(c) = Config::from_str_in(text, base) else {
        return;
    };
    assert!(c.archive.path.is_absolute(), "archive path {:?}", c.archive.path);
    for p in [&c.streams.file, &c.streams.stationxml].into_iter().flatten() {
        assert!(p.is_absolute(), "path {p:?} not resolved");
    }
    let layout: Layout = c.archive.layout.to_string().parse().expect("layout text");
    assert_eq!(layout, c.archive.layout);
    assert!(c.sources.windows(2).all(|w| w[0].priority <= w[1].priority));
});
