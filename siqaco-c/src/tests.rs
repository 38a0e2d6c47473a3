//! Rust-side tests of the C ABI: status numbers, the committed header, NULL handling.
//! The C and Fortran programs under `examples/` and `siqaco-c/tests/c/` are run by
//! `scripts/test-c`.

use super::*;
use crate::args::{arg_paths, bound, fill_nslc, parse_selection};
use crate::boundary::{boundary, set_last_error};
use siqaco::ErrorKind;
use std::ffi::{c_char, CStr};
use std::ptr;

const HEADER: &str = include_str!("../../include/siqaco.h");
/// The sources of the crate (every module may hold `extern "C"` functions), read at run
/// time so that a new module is never left out.
fn sources() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}
const FORTRAN: &str = include_str!("../../include/siqaco.f90");

/// The names of the functions the crate exports.
fn exported() -> Vec<String> {
    let mut names = Vec::new();
    for line in sources().iter().flat_map(|s| s.lines()) {
        let line = line.trim_start();
        for prefix in ["pub unsafe extern \"C\" fn ", "pub extern \"C\" fn "] {
            if let Some(rest) = line.strip_prefix(prefix) {
                names.push(rest.split('(').next().unwrap().to_string());
            }
        }
    }
    names
}

/// The hand-written Fortran module binds every exported function.
#[test]
fn fortran_module_binds_every_exported_function() {
    for name in exported() {
        assert!(
            FORTRAN.contains(&format!("name=\"{name}\"")),
            "include/siqaco.f90 has no bind(C) interface for {name}"
        );
    }
    assert!(FORTRAN.contains(&format!(
        "SIQACO_VERSION_STRING = \"{}\"",
        env!("CARGO_PKG_VERSION")
    )));
}

/// The value of `SIQACO_STATUS_<name>` in the committed header.
fn header_status(name: &str) -> Option<u32> {
    let prefix = format!("SIQACO_STATUS_{name} = ");
    HEADER
        .lines()
        .find_map(|l| l.trim().strip_prefix(&prefix))
        .map(|v| v.trim_end_matches(',').parse().unwrap())
}

/// Each error kind of the core maps to the status of its own name (`ErrorKind::as_str`,
/// upper case: `invalid_data` → `SIQACO_STATUS_INVALID_DATA`), so no two kinds share a
/// code and none falls to `SIQACO_STATUS_UNKNOWN`.
#[test]
fn core_error_kinds_map_to_the_status_of_their_name() {
    for kind in [
        ErrorKind::Io,
        ErrorKind::InvalidData,
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidCode,
        ErrorKind::Codec,
        ErrorKind::Config,
        ErrorKind::NotFound,
        ErrorKind::Metadata,
        ErrorKind::Database,
        ErrorKind::Network,
        ErrorKind::Source,
    ] {
        let name = kind.as_str().to_uppercase();
        let code = siqaco_status::from_kind(kind) as u32;
        assert_eq!(Some(code), header_status(&name), "{kind:?}");
        assert!((1..100).contains(&code), "{kind:?}: {code}");
    }
}

/// `siqaco_status_str` knows every code of the header (the reverse lookup table is
/// complete) and nothing else.
#[test]
fn every_status_of_the_header_has_a_description() {
    let codes: Vec<u32> = HEADER
        .lines()
        .filter_map(|l| l.trim().strip_prefix("SIQACO_STATUS_"))
        .filter_map(|l| l.split_once(" = "))
        .map(|(_, v)| v.trim_end_matches(',').parse().unwrap())
        .collect();
    assert_eq!(codes.len(), 18, "{codes:?}");
    let text = |code| {
        // SAFETY: a static NUL-terminated string.
        unsafe { CStr::from_ptr(siqaco_status_str(code)) }
            .to_str()
            .unwrap()
    };
    for &code in &codes {
        assert_eq!(siqaco_status::from_code(code).map(|s| s as u32), Some(code));
        assert_ne!(text(code), "unknown status code", "{code}");
    }
    assert_eq!(text(102), "buffer too small");
    for code in [12, 99, 104, 197, 200, u32::MAX] {
        assert!(siqaco_status::from_code(code).is_none());
        assert_eq!(text(code), "unknown status code");
    }
}

#[test]
fn status_values_are_never_renumbered() {
    let expected = [
        ("SIQACO_STATUS_OK", 0),
        ("SIQACO_STATUS_IO", 1),
        ("SIQACO_STATUS_INVALID_DATA", 2),
        ("SIQACO_STATUS_INVALID_ARGUMENT", 3),
        ("SIQACO_STATUS_INVALID_CODE", 4),
        ("SIQACO_STATUS_CODEC", 5),
        ("SIQACO_STATUS_CONFIG", 6),
        ("SIQACO_STATUS_NOT_FOUND", 7),
        ("SIQACO_STATUS_METADATA", 8),
        ("SIQACO_STATUS_DATABASE", 9),
        ("SIQACO_STATUS_NETWORK", 10),
        ("SIQACO_STATUS_SOURCE", 11),
        ("SIQACO_STATUS_NULL_ARGUMENT", 100),
        ("SIQACO_STATUS_OUT_OF_RANGE", 101),
        ("SIQACO_STATUS_BUFFER_TOO_SMALL", 102),
        ("SIQACO_STATUS_WRONG_SAMPLE_TYPE", 103),
        ("SIQACO_STATUS_UNKNOWN", 198),
        ("SIQACO_STATUS_PANIC", 199),
    ];
    for (name, value) in expected {
        let line = format!("{name} = {value},");
        assert!(HEADER.contains(&line), "header lacks `{line}`");
    }
}

/// Every exported function of the crate is declared in the committed header: a public
/// function added or renamed without `scripts/gen-header` fails here (the full diff of the
/// regenerated header is done by `scripts/test-c`).
#[test]
fn header_declares_every_exported_function() {
    let names = exported();
    assert!(names.len() > 20, "found only {names:?}");
    for name in &names {
        assert!(
            HEADER.contains(&format!("{name}(")),
            "include/siqaco.h does not declare {name}: run scripts/gen-header"
        );
    }
    let declared = HEADER
        .lines()
        .filter(|l| !l.trim_start().starts_with(['*', '/']))
        .filter_map(|l| {
            l.split_once(" siqaco_")
                .or_else(|| l.split_once("*siqaco_"))
        })
        .filter_map(|(_, rest)| rest.split_once('(').map(|(n, _)| format!("siqaco_{n}")))
        .collect::<Vec<_>>();
    for d in &declared {
        assert!(
            names.contains(d),
            "header declares {d}, which the crate does not export"
        );
    }
}

#[test]
fn header_version_matches_the_crate() {
    let line = format!(
        "#define SIQACO_VERSION_STRING \"{}\"",
        env!("CARGO_PKG_VERSION")
    );
    assert!(HEADER.contains(&line), "header lacks `{line}`");
    for (macro_name, value) in [
        ("MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        let line = format!("#define SIQACO_VERSION_{macro_name} {value}");
        assert!(HEADER.contains(&line), "header lacks `{line}`");
    }
    // SAFETY: static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(siqaco_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

fn last_error() -> String {
    let mut buf = [0 as c_char; 512];
    let mut n = 0usize;
    // SAFETY: valid buffer and out pointer.
    let st = unsafe { siqaco_last_error_message(buf.as_mut_ptr(), buf.len(), &mut n) };
    assert_eq!(st, siqaco_status::Ok);
    // SAFETY: NUL-terminated by the call.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn null_arguments_give_a_status_and_a_message() {
    let mut archive: *mut siqaco_archive = ptr::null_mut();
    // SAFETY: NULL is allowed by the contract.
    let st = unsafe { siqaco_archive_open(ptr::null(), ptr::null(), &mut archive) };
    assert_eq!(st, siqaco_status::NullArgument);
    assert!(archive.is_null());
    assert_eq!(last_error(), "argument `root` is NULL");
    // SAFETY: NULL handles are rejected.
    let st = unsafe { siqaco_report_stream_count(ptr::null(), ptr::null_mut()) };
    assert_eq!(st, siqaco_status::NullArgument);
}

#[test]
fn last_error_message_reports_the_size_needed() {
    set_last_error("twelve bytes".into());
    let mut n = 0usize;
    // SAFETY: NULL buffer with len 0 is the size query.
    let st = unsafe { siqaco_last_error_message(ptr::null_mut(), 0, &mut n) };
    assert_eq!(st, siqaco_status::BufferTooSmall);
    assert_eq!(n, 12);
    let mut buf = [0 as c_char; 12];
    // SAFETY: valid buffer, one byte too short for the NUL.
    let st = unsafe { siqaco_last_error_message(buf.as_mut_ptr(), buf.len(), &mut n) };
    assert_eq!(st, siqaco_status::BufferTooSmall);
    assert_eq!(last_error(), "twelve bytes");
}

#[test]
fn panics_are_caught() {
    let st = boundary(|| panic!("boom"));
    assert_eq!(st, siqaco_status::Panic);
    assert_eq!(last_error(), "panic: boom");
}

#[test]
fn selections_and_time_bounds_are_converted() {
    assert!(parse_selection(None).unwrap().is_empty());
    assert_eq!(
        parse_selection(Some("BW.*.*.BH?, IU.COLA.00.*"))
            .unwrap()
            .len(),
        2
    );
    assert!(parse_selection(Some("BW.X.Y.Z.W")).is_err());
    assert!(parse_selection(Some("BW/X")).is_err());
    assert_eq!((bound(SIQACO_TIME_UNSET), bound(7)), (None, Some(7)));
}

#[test]
fn nslc_is_truncated_on_a_char_boundary() {
    let mut a = [1 as c_char; SIQACO_NSLC_CAPACITY];
    fill_nslc(&mut a, "BW.FFB1..BHZ");
    // SAFETY: NUL-terminated by fill_nslc.
    assert_eq!(
        unsafe { CStr::from_ptr(a.as_ptr()) }.to_str().unwrap(),
        "BW.FFB1..BHZ"
    );
    let long = "é".repeat(40);
    fill_nslc(&mut a, &long);
    // SAFETY: NUL-terminated by fill_nslc.
    let s = unsafe { CStr::from_ptr(a.as_ptr()) }.to_str().unwrap();
    assert_eq!(s.len(), 62);
}

#[test]
fn merge_options_setters_are_the_requests_fields() {
    let mut o: *mut siqaco_merge_options = ptr::null_mut();
    // SAFETY: valid out pointer; the handle is freed below.
    unsafe {
        assert_eq!(siqaco_merge_options_new(&mut o), siqaco_status::Ok);
        // NaN keeps the default tolerance; both time forms are refused, options unchanged
        assert_eq!(
            siqaco_merge_options_set_tolerance(o, f64::NAN, 0.25, f64::NAN),
            siqaco_status::Ok
        );
        assert_eq!(
            siqaco_merge_options_set_tolerance(o, 1.0, 1.0, f64::NAN),
            siqaco_status::InvalidArgument
        );
        assert_eq!(
            siqaco_merge_options_set_tolerance(o, f64::NAN, f64::NAN, -1.0),
            siqaco_status::InvalidArgument
        );
        assert_eq!(
            last_error(),
            "invalid argument: rate_tolerance: must be >= 0"
        );
        assert_eq!(
            siqaco_merge_options_set_output(o, 1000, 0, 0, 0),
            siqaco_status::InvalidArgument
        );
        assert_eq!(
            last_error(),
            "invalid argument: record_length: record length 1000: miniSEED 2 needs a power of two"
        );
        assert_eq!(
            siqaco_merge_options_set_output(o, 512, 2, 0, 0),
            siqaco_status::InvalidArgument
        );
        assert_eq!(
            last_error(),
            "invalid argument: encoding: 2: expected 1, 3, 4, 5, 10 or 11"
        );
        assert_eq!(
            siqaco_merge_options_set_output(o, 512, 11, 3, 4),
            siqaco_status::Ok
        );
        let r = &(*o).inner;
        assert_eq!(
            (r.tolerance_s, r.tolerance_periods, r.rate_tolerance),
            (None, Some(0.25), None)
        );
        assert_eq!(
            (
                r.record_length,
                r.encoding.code(),
                r.format_version,
                r.quality.map(|q| q.get())
            ),
            (Some(512), Some(11), Some(3), Some(4))
        );
        siqaco_merge_options_free(o);
    }
}

#[test]
fn path_arrays_are_checked() {
    let a = c"a.mseed";
    let items = [a.as_ptr(), ptr::null()];
    // SAFETY: two readable pointers.
    let r = unsafe { arg_paths(items.as_ptr(), 2, "paths") };
    let f = r.err().unwrap();
    assert_eq!(f.status, siqaco_status::NullArgument);
    assert_eq!(f.message, "argument `paths[1]` is NULL");
    // SAFETY: one readable pointer.
    let r = unsafe { arg_paths(items.as_ptr(), 1, "paths") }.unwrap();
    assert_eq!(r, vec![std::path::PathBuf::from("a.mseed")]);
    // SAFETY: NULL with a count of 0 is allowed.
    assert!(unsafe { arg_paths(ptr::null(), 0, "paths") }
        .unwrap()
        .is_empty());
    // SAFETY: NULL with a count is rejected before any read.
    assert!(unsafe { arg_paths(ptr::null(), 3, "paths") }.is_err());
}

#[test]
fn options_setters_leave_the_options_unchanged_on_failure() {
    let mut o: *mut siqaco_scan_options = ptr::null_mut();
    // SAFETY: valid out pointer; the handle is freed below.
    unsafe {
        assert_eq!(siqaco_scan_options_new(&mut o), siqaco_status::Ok);
        assert_eq!(
            siqaco_scan_options_set_tolerance(o, 2.0, f64::NAN, f64::NAN),
            siqaco_status::Ok
        );
        assert_eq!(
            siqaco_scan_options_set_tolerance(o, 1.0, 1.0, f64::NAN),
            siqaco_status::InvalidArgument
        );
        assert_eq!(
            (
                (*o).inner.analysis.tolerance_s,
                (*o).inner.analysis.tolerance_periods
            ),
            (Some(2.0), None)
        );
        assert_eq!(
            siqaco_scan_options_set_window(o, 5, 5),
            siqaco_status::InvalidArgument
        );
        assert_eq!(
            ((*o).inner.analysis.start_ns, (*o).inner.analysis.end_ns),
            (None, None)
        );
        siqaco_scan_options_free(o);
    }
}

#[test]
fn update_options_refuse_half_windows_and_keep_their_value() {
    let mut o: *mut siqaco_update_options = ptr::null_mut();
    // SAFETY: valid out pointer; the handle is freed below.
    unsafe {
        assert_eq!(siqaco_update_options_new(&mut o), siqaco_status::Ok);
        let window = |o: *mut siqaco_update_options| ((*o).inner.start_ns, (*o).inner.end_ns);
        assert_eq!(window(o), (None, None));
        assert_eq!(
            siqaco_update_options_set_window(o, 10, 20),
            siqaco_status::Ok
        );
        for (s, e) in [
            (10, SIQACO_TIME_UNSET),
            (SIQACO_TIME_UNSET, 20),
            (20, 10),
            (5, 5),
        ] {
            assert_eq!(
                siqaco_update_options_set_window(o, s, e),
                siqaco_status::InvalidArgument
            );
            assert_eq!(window(o), (Some(10), Some(20)));
        }
        // The message names the request field, as the CLI and Python do.
        assert_eq!(
            siqaco_update_options_set_window(o, 10, SIQACO_TIME_UNSET),
            siqaco_status::InvalidArgument
        );
        assert_eq!(
            last_error(),
            "invalid argument: end_ns: missing: give both ends of the window or neither"
        );
        assert_eq!(
            siqaco_update_options_set_window(o, SIQACO_TIME_UNSET, SIQACO_TIME_UNSET),
            siqaco_status::Ok
        );
        assert_eq!(window(o), (None, None));
        assert_eq!(siqaco_update_options_set_now(o, 7), siqaco_status::Ok);
        assert_eq!((*o).inner.now_ns, Some(7));
        assert_eq!(
            siqaco_update_options_set_now(o, SIQACO_TIME_UNSET),
            siqaco_status::Ok
        );
        assert_eq!((*o).inner.now_ns, None);
        assert_eq!(siqaco_update_options_set_dry_run(o, 2), siqaco_status::Ok);
        assert!((*o).inner.dry_run);
        siqaco_update_options_free(o);
    }
}

#[test]
fn update_summary_converts_the_window_and_the_lists() {
    let mut s = siqaco::update::UpdateSummary::default();
    // A window bound with ns precision passes exactly (ISO 8601 text would keep µs).
    s.window_start_ns = Some(1_267_253_400_000_000_000);
    s.window_end_ns = Some(1_267_257_600_000_000_001);
    s.samples_added = 88_200;
    s.warnings = vec!["a".into(), "b".into()];
    s.dry_run = true;
    let c = update::update_summary(&s);
    assert_eq!(c.window_start_ns, 1_267_253_400_000_000_000);
    assert_eq!(c.window_end_ns, 1_267_257_600_000_000_001);
    assert_eq!(c.samples_added, 88_200);
    assert_eq!((c.warning_count, c.planned_count, c.dry_run), (2, 0, 1));
    // a stack run with nothing pending has no window
    let c = update::update_summary(&siqaco::update::UpdateSummary::default());
    assert_eq!(
        (c.window_start_ns, c.window_end_ns),
        (SIQACO_TIME_UNSET, SIQACO_TIME_UNSET)
    );
}

#[test]
fn index_options_lease_is_the_requests_field_and_indexes_as_the_defaults() {
    let mut o: *mut siqaco_index_options = ptr::null_mut();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/sds-small\0");
    let dir = std::env::temp_dir().join(format!("siqaco-c-index-options-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = |name: &str| format!("{}\0", dir.join(name).display());
    let (with, plain) = (db("with.sqlite"), db("plain.sqlite"));
    // SAFETY: valid pointers and NUL-terminated strings; every handle is freed below.
    unsafe {
        assert_eq!(siqaco_index_options_new(&mut o), siqaco_status::Ok);
        assert_eq!((*o).inner.lease_s, 60.0);
        assert_eq!(
            siqaco_index_options_set_lease_s(o, 0.1),
            siqaco_status::InvalidArgument
        );
        assert_eq!(
            last_error(),
            "invalid argument: lease_s: 0.1: must be at least 0.3 (seconds)"
        );
        assert_eq!(
            siqaco_index_options_set_lease_s(o, f64::NAN),
            siqaco_status::InvalidArgument
        );
        assert_eq!(
            (*o).inner.lease_s,
            60.0,
            "a refused value leaves the options"
        );
        assert_eq!(siqaco_index_options_set_lease_s(o, 7.5), siqaco_status::Ok);
        assert_eq!((*o).inner.lease_s, 7.5);

        let mut archive: *mut siqaco_archive = ptr::null_mut();
        assert_eq!(
            siqaco_archive_open(root.as_ptr().cast(), c"sds".as_ptr(), &mut archive),
            siqaco_status::Ok
        );
        let mut a: siqaco_index_report = std::mem::zeroed();
        let mut b: siqaco_index_report = std::mem::zeroed();
        assert_eq!(
            siqaco_archive_index_with_options(archive, with.as_ptr().cast(), o, &mut a),
            siqaco_status::Ok
        );
        assert_eq!(
            siqaco_archive_index(archive, plain.as_ptr().cast(), &mut b),
            siqaco_status::Ok
        );
        let counts = |r: &siqaco_index_report| {
            (
                r.files_listed,
                r.files_indexed,
                r.rows_written,
                r.files_with_errors,
            )
        };
        assert_eq!(counts(&a), counts(&b));
        // sds-small: every file of the tree read (the MANIFEST's count), none unreadable.
        let files = walk_files(root.trim_end_matches('\0'));
        assert_eq!((a.files_listed, a.files_indexed), (files, files));
        assert!(a.rows_written >= files);
        // NULL options: the defaults; a second run of the same catalogue reads nothing.
        assert_eq!(
            siqaco_archive_index_with_options(archive, with.as_ptr().cast(), ptr::null(), &mut a),
            siqaco_status::Ok
        );
        assert_eq!((a.files_indexed, a.files_unchanged), (0, files));
        siqaco_index_options_free(o);
        siqaco_archive_free(archive);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The regular files under `dir`, counted.
fn walk_files(dir: &str) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            n += walk_files(p.to_str().unwrap());
        } else {
            n += 1;
        }
    }
    n
}
