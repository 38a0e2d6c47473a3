//! Tests of layouts, listing and atomic writes on small archives built in temporary
//! directories (the real-data tests on sds-small are in `tests/archive.rs`).

use super::atomic::write_atomic_with;
use super::leftover::TEMP_MARKER;
use super::*;
use crate::time::{from_year_doy, NS_PER_S};
use crate::ErrorKind;

fn day(year: i32, doy: u32) -> i64 {
    from_year_doy(year, doy).unwrap()
}

fn put(root: &Path, rel: &str) {
    write_atomic(&root.join(rel), rel.as_bytes()).unwrap();
}

/// [`write_unsynced_from`] from the buffers only (`writev`).
fn write_unsynced(path: &Path, parts: &[&[u8]], like: &Path) -> Result<()> {
    write_unsynced_from(path, parts, like, &[], false)
}

fn rels(files: &[ArchiveFile]) -> Vec<&str> {
    files.iter().map(|f| f.rel_path.as_str()).collect()
}

fn sel(s: &str) -> Vec<NslcGlob> {
    vec![NslcGlob::parse(s).unwrap()]
}

fn layout(s: &str) -> Layout {
    s.parse().unwrap()
}

#[test]
fn layout_names_presets_and_templates() {
    assert_eq!(layout("SDS"), Layout::Sds);
    assert_eq!(layout(" bud "), Layout::Bud);
    assert_eq!(layout("Files"), Layout::Files);
    let Layout::Template(t) = layout("CHAN") else {
        panic!("CHAN is a template")
    };
    assert_eq!(t.as_str(), "%n.%s.%l.%c");
    assert_eq!(layout("cday").to_string(), "%n.%s.%l.%c.%Y:%j:#H:#M:#S");
    assert_eq!(layout("Sday").to_string(), "%n.%s.%Y:%j");
    assert_eq!(layout("qchan").to_string(), "%n.%s.%l.%c.%q");
    assert_eq!(layout("VCHAN").to_string(), "%n.%s.%l.%c.%v");
    assert_eq!(
        layout("%n/%s/%Y/%n.%s.%l.%c.%Y.%j").to_string(),
        "%n/%s/%Y/%n.%s.%l.%c.%Y.%j"
    );
    for bad in ["nonsense", "", "sds2", "%n/%x", "/abs/%n", "%n/../%s", "%t"] {
        let e = bad.parse::<Layout>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}: {e}");
    }
}

#[test]
fn sds_listing_prunes_and_ignores_junk() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let good = [
        "2023/XX/AAA/HHZ.D/XX.AAA..HHZ.D.2023.365",
        "2024/XX/AAA/HHZ.D/XX.AAA..HHZ.D.2024.001",
        "2024/XX/AAA/HHZ.D/XX.AAA..HHZ.D.2024.002",
        "2024/XX/AAA/HHZ.D/XX.AAA..HHZ.D.2024.366",
        "2024/XX/AAA/LOG.L/XX.AAA..LOG.L.2024.001",
        "2024/XX/BBB/BHN.D/XX.BBB.00.BHN.D.2024.001",
        "2024/YY/AAA/HHZ.D/YY.AAA.10.HHZ.D.2024.001",
    ];
    for g in good {
        put(root, g);
    }
    let junk = [
        "2024/XX/AAA/HHZ.D/.XX.AAA..HHZ.D.2024.003", // hidden
        "2024/XX/AAA/HHZ.D/XX.AAA..HHZ.D.2024.003.bak",
        "2024/XX/AAA/HHZ.D/XX.AAA..HHZ.D.2024.3",
        "2023/XX/AAA/HHZ.D/XX.AAA..HHZ.D.2023.366", // 2023 has 365 days
        "2024/XX/AAA/HHZ.D/XX.AAA..HHZ.D.2023.200", // year differs from directory
        "2024/XX/AAA/HHZ.D/XX.BBB..HHZ.D.2024.004", // station differs
        "2024/XX/AAA/HHZ.D/XX.AAA..BHZ.D.2024.004", // channel differs
        "2024/XX/AAA/HHZ.D/XX.AAA..HHZ.E.2024.004", // type differs from directory
        "2024/XX/AAA/HHZ/XX.AAA..HHZ.D.2024.001",   // no type in directory
        "2024/XX/AAA/README",
        "2024/.hidden/AAA/HHZ.D/XX.AAA..HHZ.D.2024.001",
        "24/XX/AAA/HHZ.D/XX.AAA..HHZ.D.2024.001",
        "notes.txt",
        "2024/XX/AAA/HHZ.D/sub dir/x",
    ];
    for j in junk {
        put(root, j);
    }
    // A directory where a day file is expected is not a file.
    fs::create_dir_all(root.join("2024/XX/AAA/HHZ.D/XX.AAA..HHZ.D.2024.100")).unwrap();
    let a = Archive::new(root, Layout::Sds);
    let all = a.list_files(&[], None).unwrap();
    let mut want = good.to_vec();
    want.sort();
    assert_eq!(rels(&all), want);
    let f = &all[1];
    assert_eq!(f.path, root.join(good[1]));
    assert_eq!(f.nslc, Some(Nslc::new("XX", "AAA", "", "HHZ")));
    assert_eq!(f.day_start_ns, Some(day(2024, 1)));
    assert_eq!(f.span_ns, Some(NS_PER_DAY));
    assert_eq!(f.size_bytes, good[1].len() as u64);
    assert!(f.mtime_ns > 0);

    // Selection on location (empty) and channel.
    let got = a.list_files(&sel("XX.*.--.HH?"), None).unwrap();
    assert_eq!(rels(&got), &good[..4]);
    // Several globs: union.
    let two = [sel("YY").remove(0), sel("XX.BBB").remove(0)];
    let got = a.list_files(&two, None).unwrap();
    assert_eq!(rels(&got), [good[5], good[6]]);

    // Window on 2024-01-02: the day before is included, the day after is not.
    let w = Some((day(2024, 2), day(2024, 3)));
    let got = a.list_files(&sel("XX.AAA.*.HHZ"), w).unwrap();
    assert_eq!(rels(&got), &good[1..3]);
    // Window on 2024-01-01 reaches back to 2023-12-31 across the year directory.
    let w = Some((day(2024, 1), day(2024, 1) + 3600 * NS_PER_S));
    let got = a.list_files(&sel("XX.AAA.*.HHZ"), w).unwrap();
    assert_eq!(rels(&got), &good[..2]);
    // Window end is exclusive.
    let w = Some((day(2024, 366) - NS_PER_DAY, day(2024, 366)));
    let got = a.list_files(&sel("XX.AAA.*.HHZ"), w).unwrap();
    assert!(got.is_empty(), "{got:?}");
    let e = a.list_files(&[], Some((5, 5))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);

    let streams = a.discover_streams(&[]).unwrap();
    assert_eq!(
        streams,
        vec![
            Nslc::new("XX", "AAA", "", "HHZ"),
            Nslc::new("XX", "AAA", "", "LOG"),
            Nslc::new("XX", "BBB", "00", "BHN"),
            Nslc::new("YY", "AAA", "10", "HHZ"),
        ]
    );
    assert_eq!(
        a.discover_streams(&sel("*.*.1?")).unwrap(),
        vec![Nslc::new("YY", "AAA", "10", "HHZ")]
    );
}

#[test]
fn missing_root_and_unreadable_subdirectory_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let e = Archive::new(&missing, Layout::Sds)
        .list_files(&[], None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.to_string().contains(&*missing.to_string_lossy()), "{e}");
    let e = Archive::new(&missing, Layout::Files)
        .list_files(&[], None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);

    // A year "directory" that is a symbolic link to itself cannot be read (ELOOP; chmod
    // would not stop root).
    #[cfg(unix)]
    {
        let root = dir.path().join("sds");
        put(&root, "2024/XX/AAA/HHZ.D/XX.AAA..HHZ.D.2024.001");
        std::os::unix::fs::symlink("2023", root.join("2023")).unwrap();
        let e = Archive::new(&root, Layout::Sds)
            .list_files(&[], None)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.to_string().contains("2023"), "{e}");
        // Pruned away by the window (which reaches back to 2023-12-31 only when it
        // starts on 2024-01-01), it does no harm.
        let w = Some((day(2024, 2), day(2024, 3)));
        let got = Archive::new(&root, Layout::Sds).list_files(&[], w).unwrap();
        assert_eq!(got.len(), 1);
        // Same for a station directory pruned by the selection: listing never reads
        // directories that cannot match.
        std::os::unix::fs::symlink("BAD", root.join("2024/XX/BAD")).unwrap();
        let got = Archive::new(&root, Layout::Sds)
            .list_files(&[NslcGlob::parse("XX.AAA").unwrap()], w)
            .unwrap();
        assert_eq!(got.len(), 1);
        let e = Archive::new(&root, Layout::Sds)
            .list_files(&[NslcGlob::parse("XX.B*").unwrap()], w)
            .unwrap_err();
        assert!(e.to_string().contains("BAD"), "{e}");
    }
}

#[test]
fn bud_listing_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a = Archive::new(root, Layout::Bud);
    let n = Nslc::new("NL", "HGN", "", "BHE");
    let p = a.file_path(&n, day(2003, 55), 'D').unwrap();
    assert_eq!(p, root.join("NL/HGN/HGN.NL..BHE.2003.055"));
    write_atomic(&p, b"x").unwrap();
    put(root, "NL/HGN/HGN.NL.00.BHZ.2003.056");
    put(root, "NL/HGN/XXX.NL.00.BHZ.2003.056"); // station differs from directory
    put(root, "NL/HGN/HGN.GE.00.BHZ.2003.056"); // network differs
    put(root, "NL/HGN/2003/HGN.NL.00.BHZ.2003.056"); // too deep
    let all = a.list_files(&[], None).unwrap();
    assert_eq!(
        rels(&all),
        [
            "NL/HGN/HGN.NL..BHE.2003.055",
            "NL/HGN/HGN.NL.00.BHZ.2003.056"
        ]
    );
    assert_eq!(all[0].nslc.as_ref(), Some(&n));
    assert_eq!(all[0].day_start_ns, Some(day(2003, 55)));
    let w = Some((day(2003, 57), day(2003, 58)));
    assert_eq!(
        rels(&a.list_files(&[], w).unwrap()),
        [all[1].rel_path.as_str()]
    );
    assert_eq!(a.discover_streams(&sel("NL.HGN.00")).unwrap().len(), 1);
}

#[test]
fn templates_chan_sday_cday_custom() {
    let dir = tempfile::tempdir().unwrap();
    let n = Nslc::new("IU", "COLA", "00", "BHZ");
    let t0 = day(2010, 58);

    // CHAN: one file per stream, no time.
    let root = dir.path().join("chan");
    let a = Archive::new(&root, layout("chan"));
    let p = a.file_path(&n, t0, 'D').unwrap();
    assert_eq!(p, root.join("IU.COLA.00.BHZ"));
    write_atomic(&p, b"x").unwrap();
    put(&root, "IU.COLA..LHZ");
    put(&root, "IU.COLA.00"); // three codes only
    put(&root, "IU.COLA.00.BHZ.D"); // extra part
    let got = a
        .list_files(&[], Some((day(2020, 1), day(2020, 2))))
        .unwrap();
    assert_eq!(rels(&got), ["IU.COLA..LHZ", "IU.COLA.00.BHZ"]);
    assert_eq!(got[1].nslc.as_ref(), Some(&n));
    assert_eq!(got[1].day_start_ns, None);
    assert_eq!(got[1].span_ns, None);

    // SDAY: station day files, no location or channel in the name.
    let root = dir.path().join("sday");
    let a = Archive::new(&root, layout("sday"));
    let p = a.file_path(&n, t0, 'D').unwrap();
    assert_eq!(p, root.join("IU.COLA.2010:058"));
    write_atomic(&p, b"x").unwrap();
    put(&root, "IU.ANMO.2010:059");
    let got = a.list_files(&sel("IU.COLA.00.BHZ"), None).unwrap();
    assert_eq!(rels(&got), ["IU.COLA.2010:058"]);
    assert_eq!(got[0].nslc, None);
    assert_eq!(got[0].day_start_ns, Some(t0));
    assert_eq!(
        a.discover_streams(&[]).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );

    // CDAY: non-defining hour, minute, second from the first record.
    let root = dir.path().join("cday");
    let a = Archive::new(&root, layout("cday"));
    let first_record = t0 + (14 * 3600 + 17 * 60 + 54) * NS_PER_S;
    let p = a.file_path(&n, first_record, 'D').unwrap();
    assert_eq!(p, root.join("IU.COLA.00.BHZ.2010:058:14:17:54"));
    write_atomic(&p, b"x").unwrap();
    // The same day again, another start time: the existing file is reused.
    assert_eq!(a.file_path(&n, t0, 'D').unwrap(), p);
    assert_eq!(
        a.file_path(&n, t0 + NS_PER_DAY, 'D').unwrap(),
        root.join("IU.COLA.00.BHZ.2010:059:00:00:00")
    );
    put(&root, "IU.COLA.00.BHZ.2010:058:1:17:54"); // hour has one digit
    let got = a.list_files(&[], None).unwrap();
    assert_eq!(rels(&got), ["IU.COLA.00.BHZ.2010:058:14:17:54"]);
    assert_eq!(got[0].day_start_ns, Some(t0));
    assert_eq!(got[0].span_ns, Some(NS_PER_DAY));

    // Custom: per-station directories per year.
    let root = dir.path().join("custom");
    let a = Archive::new(&root, layout("%n/%s/%Y/%n.%s.%l.%c.%Y.%j"));
    let p = a.file_path(&n, t0 + 5, 'D').unwrap();
    assert_eq!(p, root.join("IU/COLA/2010/IU.COLA.00.BHZ.2010.058"));
    write_atomic(&p, b"x").unwrap();
    put(&root, "IU/COLA/2011/IU.COLA.00.BHZ.2011.001");
    put(&root, "IU/COLA/2011/IU.COLA.00.BHZ.2010.365"); // year differs from directory
    put(&root, "IU/ANMO/2010/IU.ANMO.00.BHZ.2010.058");
    let got = a.list_files(&sel("IU.COLA"), None).unwrap();
    assert_eq!(
        rels(&got),
        [
            "IU/COLA/2010/IU.COLA.00.BHZ.2010.058",
            "IU/COLA/2011/IU.COLA.00.BHZ.2011.001"
        ]
    );
    let got = a
        .list_files(&sel("IU.COLA"), Some((day(2011, 1), day(2011, 2))))
        .unwrap();
    assert_eq!(rels(&got), ["IU/COLA/2011/IU.COLA.00.BHZ.2011.001"]);
    assert_eq!(a.discover_streams(&[]).unwrap().len(), 2);
}

#[test]
fn hour_files_start_at_their_hour() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a = Archive::new(root, layout("%n.%s.%l.%c.%Y.%j.%H"));
    let n = Nslc::new("XX", "STA", "", "HHZ");
    let h = 3600 * NS_PER_S;
    for hour in [0, 13, 23] {
        let p = a.file_path(&n, day(2024, 10) + hour * h, 'D').unwrap();
        write_atomic(&p, b"x").unwrap();
    }
    let got = a.list_files(&[], None).unwrap();
    assert_eq!(
        rels(&got),
        [
            "XX.STA..HHZ.2024.010.00",
            "XX.STA..HHZ.2024.010.13",
            "XX.STA..HHZ.2024.010.23"
        ]
    );
    assert_eq!(got[1].day_start_ns, Some(day(2024, 10) + 13 * h));
    assert_eq!(got[1].span_ns, Some(h));
    // Window [day 11 12:00, 12:30): one day back reaches hours 13 and 23 of day 10.
    let w = Some((day(2024, 11) + 12 * h, day(2024, 11) + 12 * h + h / 2));
    assert_eq!(rels(&a.list_files(&[], w).unwrap()), &rels(&got)[1..]);
}

#[test]
fn file_path_round_trips_through_listing() {
    let dir = tempfile::tempdir().unwrap();
    let streams = [
        Nslc::new("BW", "BGLD", "", "EHE"),
        Nslc::new("IU", "COLA", "00", "LH1"),
        Nslc::new("X-_", "S_1-2", "--", "B_H"),
    ];
    let days = [day(2007, 365), day(2008, 1), day(1969, 365), day(2016, 366)];
    for (i, name) in [
        "sds",
        "bud",
        "vchan",
        "qchan",
        "%n/%s/%Y/%n.%s.%l.%c.%Y.%j",
        "%y%j/%c.%l.%s.%n",
    ]
    .iter()
    .enumerate()
    {
        let root = dir.path().join(format!("a{i}"));
        let a = Archive::new(&root, layout(name));
        let mut want = Vec::new();
        for n in &streams {
            for d in days {
                let p = a.file_path(n, d, 'M').unwrap();
                assert!(p.starts_with(&root));
                write_atomic(&p, b"x").unwrap();
                want.push((p, n.clone(), d));
            }
        }
        want.sort();
        want.dedup();
        let got = a.list_files(&[], None).unwrap();
        let got: Vec<(PathBuf, Nslc, i64)> = got
            .into_iter()
            .map(|f| {
                let d = f.day_start_ns.unwrap_or(days[0]);
                (f.path, f.nslc.unwrap(), d)
            })
            .collect();
        if name.contains("chan") {
            // No time in the name: one file per stream.
            let mut names: Vec<_> = want.iter().map(|w| w.0.clone()).collect();
            names.dedup();
            assert_eq!(
                got.iter().map(|g| g.0.clone()).collect::<Vec<_>>(),
                names,
                "{name}"
            );
        } else {
            assert_eq!(got, want, "{name}");
        }
        if *name == "sds" {
            assert!(want
                .iter()
                .any(|w| w.0.ends_with("2007/BW/BGLD/EHE.D/BW.BGLD..EHE.D.2007.365")));
        }
        if *name == "qchan" {
            assert!(got[0].0.to_string_lossy().ends_with(".M"));
        }
        if *name == "vchan" {
            assert!(got[0].0.to_string_lossy().ends_with(".4"));
        }
    }
}

#[test]
fn file_path_rejects_path_tricks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let sds = Archive::new(root, Layout::Sds);
    let t0 = day(2024, 1);
    for bad in [
        Nslc::new("..", "STA", "", "HHZ"),
        Nslc::new("XX", "..", "", "HHZ"),
        Nslc::new("XX", "a/b", "", "HHZ"),
        Nslc::new("XX", "STA", "../..", "HHZ"),
        Nslc::new("XX", "STA", "", "/etc"),
        Nslc::new("XX", "STA", "", "H\\Z"),
        Nslc::new("", "STA", "", "HHZ"),
        Nslc::new("XX", "ST A", "", "HHZ"),
        Nslc::new("XX", "STA", "", "HH\0"),
    ] {
        let e = sds.file_path(&bad, t0, 'D').unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidCode, "{bad:?}: {e}");
    }
    let ok = Nslc::new("XX", "STA", "", "HHZ");
    // An empty location as a whole component would be an empty path component.
    let a = Archive::new(root, layout("%n/%l/%c.%Y.%j"));
    assert_eq!(
        a.file_path(&ok, t0, 'D').unwrap_err().kind(),
        ErrorKind::InvalidCode
    );
    // ...and at the start of a name, a hidden file.
    let a = Archive::new(root, layout("%n/%l.%c.%Y.%j"));
    assert_eq!(
        a.file_path(&ok, t0, 'D').unwrap_err().kind(),
        ErrorKind::InvalidCode
    );
    for (layout, q) in [
        (Layout::Files, 'D'),
        (Layout::Sds, 'X'),
        (Layout::Sds, '/'),
        (layout("%n.%s.%l.%c.%L"), 'D'),
        (layout("%n.%s.%l.%c.#r"), 'D'),
    ] {
        let e = Archive::new(root, layout)
            .file_path(&ok, t0, q)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    }
    assert_eq!(
        sds.file_path(&ok, t0, 'D').unwrap(),
        root.join("2024/XX/STA/HHZ.D/XX.STA..HHZ.D.2024.001")
    );
    // Nothing was created by the rejected calls.
    assert_eq!(fs::read_dir(root).unwrap().count(), 0);
}

#[test]
fn files_layout_lists_everything_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(root, "a.mseed");
    put(root, "x/y/z/b.mseed");
    put(root, "x/.hidden/c.mseed");
    put(root, "x/.d.mseed");
    put(root, "README");
    put(root, "x.y/f"); // after "x/..." in path order, before it in string order
    #[cfg(unix)]
    {
        // A loop back to the root and a dangling link.
        std::os::unix::fs::symlink(root, root.join("x/y/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("nothing"), root.join("x/dangling")).unwrap();
    }
    let a = Archive::new(root, Layout::Files);
    let got = a.list_files(&sel("XX"), Some((0, 1))).unwrap();
    assert_eq!(rels(&got), ["README", "a.mseed", "x/y/z/b.mseed", "x.y/f"]);
    assert!(got.windows(2).all(|w| w[0].path < w[1].path));
    assert!(got
        .iter()
        .all(|f| f.nslc.is_none() && f.day_start_ns.is_none()));
    assert_eq!(got[1].size_bytes, "a.mseed".len() as u64);
    let e = a.discover_streams(&[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("after reading"), "{e}");
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn write_atomic_replaces_and_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("new/dirs/file.D.2024.001");
    write_atomic(&p, b"first").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"first");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
    }
    write_atomic(&p, b"second, longer").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"second, longer");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "permissions of the replaced file are kept");
    }
    write_atomic(&p, b"").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"");
    assert_eq!(names_in(p.parent().unwrap()), ["file.D.2024.001"]);
    let e = write_atomic(Path::new("/"), b"x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn failing_write_atomic_keeps_old_content() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("day");
    write_atomic(&p, b"old").unwrap();

    // Failure at the last moment, after the temporary file was written and synced.
    let mut seen = None;
    let e = write_atomic_with(&p, b"new", |tmp| {
        assert!(tmp
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".day.siqaco-tmp-"));
        assert_eq!(fs::read(tmp).unwrap(), b"new");
        seen = Some(tmp.to_path_buf());
        Err(std::io::Error::other("simulated failure"))
    })
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(!seen.unwrap().exists());
    assert_eq!(fs::read(&p).unwrap(), b"old");
    assert_eq!(names_in(dir.path()), ["day"]);

    // The parent is a file: nothing can be created, the file in the way is unchanged.
    let e = write_atomic(&p.join("child"), b"new").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert_eq!(fs::read(&p).unwrap(), b"old");

    // The target is a non-empty directory: the rename fails, the temp file is removed.
    let d = dir.path().join("dir");
    put(&d, "inside");
    let e = write_atomic(&d, b"new").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert_eq!(names_in(dir.path()), ["day", "dir"]);
    assert_eq!(names_in(&d), ["inside"]);
}

#[test]
fn temp_files_are_never_listed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a = Archive::new(root, Layout::Sds);
    let n = Nslc::new("XX", "STA", "", "HHZ");
    let p = a.file_path(&n, day(2024, 1), 'D').unwrap();
    write_atomic(&p, b"x").unwrap();
    // A temp file left by a killed writer.
    let stale = p
        .parent()
        .unwrap()
        .join(format!(".XX.STA..HHZ.D.2024.001{TEMP_MARKER}1-0"));
    fs::write(&stale, b"partial").unwrap();
    assert_eq!(a.list_files(&[], None).unwrap().len(), 1);
    assert_eq!(
        Archive::new(root, Layout::Files)
            .list_files(&[], None)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn read_aligned_reads_whole_files_page_aligned() {
    let dir = tempfile::tempdir().unwrap();
    for size in [0usize, 1, 4095, 4096, 4097, 3 * 4096 + 17, 1 << 20] {
        let p = dir.path().join(format!("f{size}"));
        let bytes: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        fs::write(&p, &bytes).unwrap();
        let got = super::read_aligned(&p).unwrap();
        assert_eq!(&got[..], &bytes[..], "size {size}");
        if size > 0 {
            assert_eq!(got.as_ptr() as usize % 4096, 0, "size {size}");
        }
    }
    assert_eq!(
        super::read_aligned(&dir.path().join("missing"))
            .unwrap_err()
            .kind(),
        std::io::ErrorKind::NotFound
    );
}

/// The reads into buffers not cleared first: a reused buffer full of other bytes (larger
/// or smaller than the file) gives exactly the file's bytes, page-aligned; a range read
/// holds each byte at its file offset modulo the page size, and a range past the end of
/// the file is an error, not a short buffer.
#[test]
fn reads_into_reused_or_new_buffers_give_exactly_the_files_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f");
    let bytes: Vec<u8> = (0..3 * 4096 + 17).map(|i| (i * 31 % 251) as u8).collect();
    fs::write(&p, &bytes).unwrap();
    for reuse in [Vec::new(), vec![0xAA; 100], vec![0x55; 1 << 16]] {
        let got = super::read_aligned_reusing(&p, reuse).unwrap();
        assert_eq!(&got[..], &bytes[..]);
        assert_eq!(got.as_ptr() as usize % 4096, 0);
        // the buffer of one read, dirty, for the next
        let again = super::read_aligned_reusing(&p, got.into_buffer()).unwrap();
        assert_eq!(&again[..], &bytes[..]);
    }
    for (offset, len) in [(0u64, bytes.len()), (1, 100), (4095, 4098), (5000, 7000)] {
        let got = super::read_range_aligned(&p, offset, len).unwrap();
        assert_eq!(&got[..], &bytes[offset as usize..offset as usize + len]);
        assert_eq!(got.as_ptr() as usize % 4096, offset as usize % 4096);
    }
    let past = super::read_range_aligned(&p, 5000, bytes.len()).unwrap_err();
    assert_eq!(past.kind(), std::io::ErrorKind::UnexpectedEof);
}

#[test]
fn unsynced_write_of_many_parts_is_their_concatenation() {
    // More parts than one writev takes (1024), empty ones among them, the permissions of
    // the file it replaces, and a shorter rewrite truncating a longer file.
    let dir = tempfile::tempdir().unwrap();
    let like = dir.path().join("old");
    fs::write(&like, b"old").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&like, fs::Permissions::from_mode(0o640)).unwrap();
    }
    let owned: Vec<Vec<u8>> = (0..3000u32)
        .map(|i| (0..(i % 7) * 100).map(|k| (i + k) as u8).collect())
        .collect();
    let parts: Vec<&[u8]> = owned.iter().map(|p| p.as_slice()).collect();
    let path = dir.path().join("sub/new");
    write_unsynced(&path, &parts, &like).unwrap();
    assert_eq!(fs::read(&path).unwrap(), owned.concat());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
    write_unsynced(&path, &[b"ab", b"", b"c"], &like).unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"abc");
    // Slices of one buffer, adjacent ones written as one run: in order, out of order
    // (a later slice before an earlier one), repeated, empty, and mixed with other buffers.
    let one: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut parts: Vec<&[u8]> = one.chunks(3).collect();
    parts.swap(10, 11);
    parts.insert(500, &one[100..200]);
    parts.insert(700, b"");
    parts.insert(900, &owned[5]);
    let expected: Vec<u8> = parts.concat();
    write_unsynced(&path, &parts, &like).unwrap();
    assert_eq!(fs::read(&path).unwrap(), expected);
}

#[test]
fn staged_copies_of_read_ranges_equal_the_verified_bytes_however_the_source_changes() {
    // A real day file (IU.COLA BHZ, miniSEED 2, 197 632 bytes) read into a buffer as the
    // merge reads it; the new file is runs of that buffer (copied with copy_file_range
    // when allowed) between bytes of other buffers (written): it must hold exactly the
    // concatenation of the parts, with copies on or off, and when the source file was
    // rewritten, truncated or removed after it was read (the bytes verified are the
    // buffer's, never the file's new ones).
    let Some(data) = crate::testing::test_data_dir() else {
        return;
    };
    let day = data.join("sds-small/2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058");
    let dir = tempfile::tempdir().unwrap();
    let like = dir.path().join("absent");
    for change in ["none", "rewritten", "truncated", "removed"] {
        for copy in [true, false] {
            let src = dir.path().join("source");
            fs::copy(&day, &src).unwrap();
            let len = fs::metadata(&src).unwrap().len();
            let offset = 4096;
            let read = read_range_aligned(&src, offset, (len - offset) as usize).unwrap();
            let other: Vec<u8> = (0..700u32).map(|i| (i * 13 % 251) as u8).collect();
            let b = &read[..];
            // runs of ≥ 64 KiB (copied) and shorter ones (written), out of order
            let parts: Vec<&[u8]> = vec![
                &other[..100],
                &b[512..512 + 80 * 1024],
                &b[512 + 80 * 1024..100 * 1024],
                &other[100..],
                &b[..512],
                &b[100 * 1024..],
                &b[..70 * 1024],
            ];
            let expected = parts.concat();
            match change {
                "rewritten" => {
                    let mut new = fs::read(&src).unwrap();
                    new.iter_mut().for_each(|x| *x = x.wrapping_add(1));
                    fs::write(&src, new).unwrap();
                }
                "truncated" => {
                    let f = fs::OpenOptions::new().write(true).open(&src).unwrap();
                    f.set_len(offset + 90 * 1024).unwrap();
                }
                "removed" => fs::remove_file(&src).unwrap(),
                _ => {}
            }
            let sources = [ReadFrom {
                bytes: b,
                path: &src,
                offset,
            }];
            let path = dir.path().join(format!("new-{change}-{copy}"));
            write_unsynced_from(&path, &parts, &like, &sources, copy).unwrap();
            assert_eq!(
                fs::read(&path).unwrap(),
                expected,
                "source {change}, copies {copy}"
            );
        }
    }
}

#[test]
fn public_presets_name_the_data_centres_keys_and_read_them_back() {
    // The example keys the data centres give for their open-data buckets (SCEDC, NCEDC,
    // EarthScope, GeoNet; docs/object-storage.md), built from the stream and day and found
    // again by a listing, with the stream read back from the name.
    let cases = [
        (
            "scedc",
            "CI.SDD..HHZ",
            2016,
            2,
            "continuous_waveforms/2016/2016_002/CISDD__HHZ___2016002.ms",
        ),
        (
            "ncedc",
            "BK.MERC.00.HNZ",
            2022,
            231,
            "continuous_waveforms/BK/2022/2022.231/MERC.BK.HNZ.00.D.2022.231",
        ),
        (
            "earthscope",
            "AK.PS09.00.BHZ",
            2020,
            309,
            "miniseed/AK/2020/309/PS09.AK.2020.309",
        ),
        (
            "geonet",
            "NZ.ABAZ.10.EHE",
            2019,
            1,
            "waveforms/miniseed/2019/2019.001/ABAZ.NZ/2019.001.ABAZ.10-EHE.NZ.D",
        ),
    ];
    for (name, sid, year, doy, key) in cases {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::new(dir.path(), layout(name));
        let nslc: Nslc = sid.parse().unwrap();
        let path = a.file_path(&nslc, day(year, doy), 'D').unwrap();
        assert_eq!(path, dir.path().join(key), "{name}");
        put(dir.path(), key);
        put(dir.path(), &format!("{key}.junk"));
        let files = a
            .list_files(&[], Some((day(year, doy), day(year, doy) + NS_PER_DAY)))
            .unwrap();
        assert_eq!(rels(&files), vec![key], "{name}");
        assert_eq!(files[0].day_start_ns, Some(day(year, doy)), "{name}");
        let named = if name == "earthscope" {
            None
        } else {
            Some(nslc.clone())
        };
        assert_eq!(files[0].nslc, named, "{name}");
        // the layout's text (as `Display` writes it) parses back to the same layout
        assert_eq!(layout(&layout(name).to_string()), layout(name));
        // the selection prunes by the codes the names give
        assert!(
            a.list_files(&sel("XX.*"), None).unwrap().is_empty(),
            "{name}"
        );
    }
    // SCEDC's fixed widths: a padded station and an empty location read back unpadded; a
    // code longer than its field cannot be named.
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::new(dir.path(), layout("scedc"));
    let long: Nslc = "CI.TOOLONG..HHZ".parse().unwrap();
    assert_eq!(
        a.file_path(&long, day(2016, 2), 'D').unwrap_err().kind(),
        ErrorKind::InvalidCode
    );
}
