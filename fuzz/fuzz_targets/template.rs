//! Archive layouts and dataselect templates (`archive::Template`, `Layout::from_str`,
//! `Archive::file_path`) on any text and codes.
//!
//! Input: lines `template`, `network`, `station`, `location`, `channel`, then 9 bytes:
//! the day (i64, little endian) and the quality letter.
//!
//! Invariants checked, beyond "no panic": a parsed template reads back to itself from its
//! text; a file path built from it lies under the archive root, with only plain,
//! non-hidden components (no `..`, `.`, root, NUL or backslash), whatever the codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use siqaco::archive::{Archive, Layout, Template};
use siqaco::Nslc;
use std::path::{Component, Path};

const ROOT: &str = "/nonexistent-fuzz-root/archive";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(6, '\n');
    let (Some(t), Some(n), Some(s), Some(l), Some(c)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let rest = parts.next().unwrap_or("").as_bytes();
    let mut day = [0u8; 8];
    for (d, b) in day.iter_mut().zip(rest) {
        *d = *b;
    }
    let day_ns = i64::from_le_bytes(day);
    let quality = rest.get(8).map_or('D', |&b| b as char);

    if let Ok(tp) = Template::parse(t) {
        assert_eq!(Template::parse(tp.as_str()).ok(), Some(tp.clone()));
    }
    let Ok(layout) = t.parse::<Layout>() else {
        return;
    };
    let archive = Archive::new(ROOT, layout);
    let nslc = Nslc::new(n, s, l, c);
    if let Ok(path) = archive.file_path(&nslc, day_ns, quality) {
        let rel = path.strip_prefix(Path::new(ROOT)).expect("path outside the root");
        assert!(rel.components().count() > 0);
        for comp in rel.components() {
            let Component::Normal(name) = comp else {
                panic!("component {comp:?} in {path:?}");
            };
            let name = name.to_str().expect("non-UTF-8 name");
            assert!(!name.is_empty() && !name.starts_with('.'), "{path:?}");
            assert!(!name.contains(['\0', '\\']), "{path:?}");
        }
    }
});
