//! Archive listing on the real sds-small archive (`tests/data/sds-small`), checked against
//! `sds-small.expected.json`.

use siqaco::archive::{Archive, Layout};
use siqaco::time::{from_year_doy, NS_PER_DAY};
use siqaco::{Nslc, NslcGlob};
use std::path::PathBuf;

fn data() -> Option<(PathBuf, serde_json::Value)> {
    let dir = siqaco::testing::test_data_dir()?;
    let text = std::fs::read_to_string(dir.join("sds-small.expected.json")).unwrap();
    Some((dir.join("sds-small"), serde_json::from_str(&text).unwrap()))
}

fn expected_files(expected: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = expected["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn lists_all_37_files() {
    let Some((root, expected)) = data() else {
        return;
    };
    let files = Archive::new(&root, Layout::Sds)
        .list_files(&[], None)
        .unwrap();
    let want = expected_files(&expected);
    assert_eq!(want.len(), 37);
    let mut got: Vec<String> = files.iter().map(|f| f.rel_path.clone()).collect();
    got.sort();
    assert_eq!(got, want);
    let sizes: std::collections::HashMap<&str, u64> = expected["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["size"].as_u64().unwrap()))
        .collect();
    for f in &files {
        assert_eq!(f.path, root.join(&f.rel_path));
        assert_eq!(f.size_bytes, sizes[f.rel_path.as_str()], "{}", f.rel_path);
        // The name's stream and day agree with the expected JSON's per-stream file lists.
        let nslc = f.nslc.as_ref().unwrap();
        let listed = expected["nslc"][nslc.to_string()]["files"]
            .as_array()
            .unwrap();
        assert!(
            listed.iter().any(|p| p.as_str() == Some(&f.rel_path)),
            "{} not among the files of {nslc}",
            f.rel_path
        );
        let day = f.day_start_ns.unwrap();
        let (y, j) = siqaco::time::year_doy(day);
        assert!(
            f.rel_path.ends_with(&format!(".{y}.{j:03}")),
            "{}",
            f.rel_path
        );
        assert_eq!(day % NS_PER_DAY, 0);
    }
    // Sorted by path.
    assert!(files.windows(2).all(|w| w[0].path < w[1].path));
}

#[test]
fn selection_lists_ffb1_hh_channels() {
    let Some((root, expected)) = data() else {
        return;
    };
    let sel = [NslcGlob::parse("BW.FFB1.*.HH?").unwrap()];
    let files = Archive::new(&root, Layout::Sds)
        .list_files(&sel, None)
        .unwrap();
    let got: Vec<&str> = files.iter().map(|f| f.rel_path.as_str()).collect();
    let want: Vec<String> = expected_files(&expected)
        .into_iter()
        .filter(|p| p.contains("/BW/FFB1/HH"))
        .collect();
    assert_eq!(want.len(), 3);
    assert_eq!(got, want);
}

#[test]
fn window_includes_previous_day() {
    let Some((root, _)) = data() else {
        return;
    };
    let a = Archive::new(&root, Layout::Sds);
    let d = from_year_doy(2008, 1).unwrap();
    let sel = [NslcGlob::parse("BW.BGLD").unwrap()];
    let files = a.list_files(&sel, Some((d, d + NS_PER_DAY))).unwrap();
    let got: Vec<&str> = files.iter().map(|f| f.rel_path.as_str()).collect();
    assert_eq!(
        got,
        [
            "2007/BW/BGLD/EHE.D/BW.BGLD..EHE.D.2007.365",
            "2008/BW/BGLD/EHE.D/BW.BGLD..EHE.D.2008.001"
        ]
    );
    assert_eq!(files[0].day_start_ns, Some(d - NS_PER_DAY));
    // The day after: only the 2008.001 file (previous day) of that stream.
    let files = a
        .list_files(&sel, Some((d + NS_PER_DAY, d + 2 * NS_PER_DAY)))
        .unwrap();
    assert_eq!(files.len(), 1);
    assert!(files[0].rel_path.ends_with("2008.001"));
    // Without selection, the 2008-01-01 window has nothing of other streams.
    let all = a.list_files(&[], Some((d, d + NS_PER_DAY))).unwrap();
    assert_eq!(all, a.list_files(&sel, Some((d, d + NS_PER_DAY))).unwrap());
}

#[test]
fn discovers_the_35_streams() {
    let Some((root, expected)) = data() else {
        return;
    };
    let got = Archive::new(&root, Layout::Sds)
        .discover_streams(&[])
        .unwrap();
    let mut want: Vec<Nslc> = expected["nslc"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| Nslc::parse(k).unwrap())
        .collect();
    want.sort();
    assert_eq!(want.len(), 35);
    assert_eq!(got, want);
    let iu = Archive::new(&root, Layout::Sds)
        .discover_streams(&[NslcGlob::parse("IU.COLA.10").unwrap()])
        .unwrap();
    assert_eq!(iu, [Nslc::new("IU", "COLA", "10", "BHZ")]);
}

#[test]
fn files_layout_lists_the_same_files() {
    let Some((root, expected)) = data() else {
        return;
    };
    let files = Archive::new(&root, Layout::Files)
        .list_files(&[], None)
        .unwrap();
    let got: Vec<String> = files.iter().map(|f| f.rel_path.clone()).collect();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, expected_files(&expected));
}
