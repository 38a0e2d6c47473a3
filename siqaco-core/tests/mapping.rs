//! Stream mappings over time (`[[streams.mapping]]`, `siqaco::mapping`) in scanning, reading,
//! indexing and fetching: an archive whose station CH.BALST was recorded as XX.OLD until T
//! reads as the unrenamed original; an update fills a gap of CH.BALST..LHZ before T by
//! asking its source for XX.OLD..LHZ, and stores the records as they were recorded.

use siqaco::archive::{Archive, Layout};
use siqaco::mapping::{rewrite_codes, Mappings, StreamMapping};
use siqaco::ops::{Control, ReadRequest, ScanRequest};
use siqaco::record::{RecordScanner, ScanItem};
use siqaco::testing::test_data_dir;
use siqaco::Nslc;
use std::path::Path;

const DAY: &str = "2025/CH/BALST/LHZ.D/CH.BALST..LHZ.D.2025.314";
const OLD_DAY: &str = "2025/XX/OLD/LHZ.D/XX.OLD..LHZ.D.2025.314";

/// The records of a file: (first sample, bytes).
fn records(path: &Path) -> Vec<(i64, Vec<u8>)> {
    let buf = std::fs::read(path).unwrap();
    RecordScanner::new(&buf)
        .map(|item| match item {
            ScanItem::Record { header, .. } => (header.start_ns, header.raw.to_vec()),
            ScanItem::Invalid { message, .. } => panic!("{message}"),
        })
        .collect()
}

/// The day file of CH.BALST..LHZ split at T (the start of its 100th record in time order):
/// the records before T rewritten as XX.OLD..LHZ into `root`'s XX.OLD day file, the others
/// kept. Returns (T, the renamed records in file order).
fn renamed_archive(sds: &Path, root: &Path) -> (i64, Vec<Vec<u8>>) {
    let recs = records(&sds.join(DAY));
    let mut starts: Vec<i64> = recs.iter().map(|r| r.0).collect();
    starts.sort_unstable();
    let t = starts[99];
    let old: Nslc = "XX.OLD..LHZ".parse().unwrap();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for (start, rec) in recs {
        if start < t {
            before.push(rewrite_codes(&rec, &old).unwrap());
        } else {
            after.push(rec);
        }
    }
    for (rel, recs) in [(OLD_DAY, &before), (DAY, &after)] {
        std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
        std::fs::write(root.join(rel), recs.concat()).unwrap();
    }
    (t, before)
}

fn mapping(t: i64) -> Mappings {
    Mappings::new(vec![StreamMapping {
        from: "XX.OLD..LHZ".parse().unwrap(),
        to: "CH.BALST..LHZ".parse().unwrap(),
        start_ns: None,
        end_ns: Some(t),
    }])
    .unwrap()
}

/// Scanning and reading the renamed archive with the mapping give the original's report and
/// samples; the report lists the mapped records.
#[test]
fn renamed_archive_scans_and_reads_as_the_original() {
    let Some(data) = test_data_dir() else { return };
    let sds = data.join("sds-small");
    let dir = tempfile::tempdir().unwrap();
    let (t, renamed) = renamed_archive(&sds, dir.path());
    let select = vec!["CH.BALST..LHZ".parse().unwrap()];

    let mut original = ScanRequest::new([&sds]);
    original.analysis.select = select.clone();
    let original = original.run(&Control::new()).unwrap();
    let mut mapped = ScanRequest::new([dir.path()]);
    mapped.analysis.select = select.clone();
    mapped.mappings = mapping(t);
    let mapped = mapped.run(&Control::new()).unwrap();
    assert_eq!(
        format!("{:?}", mapped.streams),
        format!("{:?}", original.streams)
    );
    assert_eq!(mapped.mapped.len(), 1);
    assert_eq!(mapped.mapped[0].records, renamed.len() as u64);
    assert!(mapped.mapped[0].start_ns < t && mapped.mapped[0].end_ns >= t - 1);

    let mut read = ReadRequest::new([&sds]);
    read.select = select.clone();
    let want = read.run(&Control::new()).unwrap();
    let mut read = ReadRequest::new([dir.path()]);
    read.select = select;
    read.mappings = mapping(t);
    assert_eq!(read.run(&Control::new()).unwrap(), want);
    // Without the mapping, only the records after T are CH.BALST..LHZ.
    read.mappings = Mappings::default();
    let after = read.run(&Control::new()).unwrap();
    assert!(after.iter().all(|s| s.start_ns >= t));
}

/// Indexing with the mapping gives the catalogue of the original archive (the same report).
#[test]
fn catalogue_of_renamed_archive_names_the_mapped_stream() {
    let Some(data) = test_data_dir() else { return };
    let sds = data.join("sds-small");
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = renamed_archive(&sds, &dir.path().join("archive"));
    let report = |root: &Path, name: &str, mappings: Mappings, select: &str| {
        let mut index = siqaco::ops::IndexRequest::new(root, dir.path().join(name));
        index.mappings = mappings;
        index.run(&Control::new()).unwrap();
        let mut stats = siqaco::ops::StatsRequest::new(dir.path().join(name));
        stats.analysis.select = vec![select.parse().unwrap()];
        stats.run(&Control::new()).unwrap()
    };
    let one = "CH.BALST..LHZ";
    let original = report(&sds, "original.sqlite", Mappings::default(), one);
    let mapped = report(
        &dir.path().join("archive"),
        "mapped.sqlite",
        mapping(t),
        one,
    );
    assert_eq!(
        format!("{:?}", mapped.streams),
        format!("{:?}", original.streams)
    );
    let plain = report(
        &dir.path().join("archive"),
        "plain.sqlite",
        Mappings::default(),
        "*.*.*.LHZ",
    );
    let names: Vec<String> = plain.streams.iter().map(|s| s.nslc.to_string()).collect();
    assert!(names.contains(&"XX.OLD..LHZ".to_string()), "{names:?}");
}

/// An update fills a gap of CH.BALST..LHZ before T from a local archive that holds the
/// station under its old codes: the request goes out as XX.OLD..LHZ and the record comes
/// back into the XX.OLD day file, byte for byte.
#[test]
fn update_asks_the_source_for_the_old_codes() {
    let Some(data) = test_data_dir() else { return };
    let sds = data.join("sds-small");
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    let (t, renamed) = renamed_archive(&sds, &source);
    let fin = dir.path().join("final");
    siqaco::testing::copy_tree(&source, &fin);
    // The final archive lacks the first XX.OLD record.
    let first = records(&source.join(OLD_DAY))[0].clone();
    std::fs::write(fin.join(OLD_DAY), renamed[1..].concat()).unwrap();
    let config = siqaco::update::config::Config::from_str_in(
        &format!(
            "[archive]\npath = \"final\"\n[catalogue]\nurl = \"run.sqlite\"\n[streams]\n\
             select = [\"CH.BALST..LHZ\"]\n[[streams.mapping]]\nfrom = \"XX.OLD..LHZ\"\n\
             to = \"CH.BALST..LHZ\"\nend = \"{}\"\n\
             [[sources]]\nname = \"old\"\nkind = \"archive\"\npath = \"{}\"\n",
            siqaco::time::format_time(t),
            source.display()
        ),
        dir.path(),
    )
    .unwrap();
    assert_eq!(config.streams.mapping, mapping(t));
    // `siqaco serve --config` serves with the same mappings.
    assert_eq!(config.serve.mappings, mapping(t));
    let window = (first.0, first.0 + 3_600_000_000_000);
    let mut request = siqaco::ops::UpdateRequest::new(config);
    (request.start_ns, request.end_ns) = (Some(window.0), Some(window.1));
    let s = request.run(&Control::new()).unwrap();
    assert_eq!(
        (s.requests_created, s.requests_succeeded, s.requests_left),
        (1, 1, 0),
        "{s:?}"
    );
    let now = std::fs::read(fin.join(OLD_DAY)).unwrap();
    assert!(now.starts_with(&first.1), "the record is not back");
    // Nothing was written under the new codes before T.
    let archive = Archive::new(&fin, Layout::Sds);
    let files = archive
        .list_files(&["CH.BALST..LHZ".parse().unwrap()], None)
        .unwrap();
    for f in files {
        assert!(records(&f.path).iter().all(|(start, _)| *start >= t));
    }
}

/// A bad `[[streams.mapping]]` entry is a configuration error naming the entry and field.
#[test]
fn configuration_errors_name_the_mapping_entry() {
    let dir = tempfile::tempdir().unwrap();
    let text = |mapping: &str| {
        format!(
            "[archive]\npath = \"final\"\n[catalogue]\nurl = \"c.sqlite\"\n[streams]\n\
             select = [\"CH.BALST..LHZ\"]\n{mapping}"
        )
    };
    let err = |mapping: &str| {
        siqaco::update::config::Config::from_str_in(&text(mapping), dir.path())
            .unwrap_err()
            .to_string()
    };
    let e = err("[[streams.mapping]]\nfrom = \"XX.OLD..LHZ\"\nto = \"CH.BA/LST..LHZ\"\n");
    assert!(e.contains("streams.mapping[0].to"), "{e}");
    let e = err(
        "[[streams.mapping]]\nfrom = \"XX.OLD..LHZ\"\nto = \"CH.BALST..LHZ\"\n\
         [[streams.mapping]]\nfrom = \"CH.BALST..LHZ\"\nto = \"XX.OLD..LHZ\"\n",
    );
    assert!(
        e.contains("streams.mapping[0].to") && e.contains("cycle"),
        "{e}"
    );
    let e = err(
        "[[streams.mapping]]\nfrom = \"XX.OLD..LHZ\"\nto = \"CH.BALST..LHZ\"\nend = \"soon\"\n",
    );
    assert!(e.contains("streams.mapping[0].end"), "{e}");
    let e = err("[[streams.mapping]]\nfrom = \"XX.OLD..LHZ\"\nwhere = 1\n");
    assert!(e.contains("streams.mapping"), "{e}");
    let ok = siqaco::update::config::Config::from_str_in(&text(""), dir.path()).unwrap();
    assert!(ok.streams.mapping.is_empty());
}
