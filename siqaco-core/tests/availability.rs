//! fdsnws-availability on a PostgreSQL catalogue answers exactly as on a SQLite catalogue
//! of the same archive (sds-small): the same streams, qualities, sample rates, time spans
//! and load times, for `extent` and `query` with and without merging.

#![cfg(feature = "sqlite")]

mod pg_server;

use siqaco::archive::{Archive, Layout};
use siqaco::index::{Catalogue, IndexOptions};
use siqaco::ops::fdsnws::availability::{AvailabilityRequest, Datasource, Method, SPEC};
use siqaco::ops::fdsnws::{Access, FdsnQuery};
use siqaco::testing::test_data_dir;

fn answer(cat: &Catalogue, method: Method, pairs: &[(&str, &str)]) -> Vec<Datasource> {
    let q = FdsnQuery::from_pairs(pairs, SPEC).unwrap();
    AvailabilityRequest::from_query(method, q)
        .unwrap()
        .run(cat, &Access::default())
        .unwrap()
        .datasources
}

#[test]
fn postgres_answers_equal_sqlite_answers() {
    let Some(data) = test_data_dir() else { return };
    if !cfg!(feature = "postgres") {
        pg_server::skip("siqaco-core built without the `postgres` feature");
        return;
    }
    let Some(pg) = pg_server::PgServer::start() else {
        return;
    };
    let archive = Archive::new(data.join("sds-small"), Layout::Sds);
    let dir = tempfile::tempdir().unwrap();
    let mut lite = Catalogue::open(dir.path().join("c.sqlite")).unwrap();
    lite.index_archive(&archive, &IndexOptions::default())
        .unwrap();
    let mut post = Catalogue::open(pg.create_db("avail")).unwrap();
    post.index_archive(&archive, &IndexOptions::default())
        .unwrap();
    let cases: [(Method, &[(&str, &str)]); 5] = [
        (Method::Query, &[]),
        (
            Method::Query,
            &[("merge", "overlap"), ("show", "latestupdate")],
        ),
        (
            Method::Query,
            &[
                ("net", "BW,IU"),
                ("cha", "B*"),
                ("start", "2010-02-27T07:00:00"),
            ],
        ),
        (Method::Extent, &[]),
        (
            Method::Extent,
            &[
                ("merge", "quality,samplerate"),
                ("orderby", "timespancount_desc"),
            ],
        ),
    ];
    for (method, pairs) in cases {
        let a = answer(&lite, method, pairs);
        assert!(!a.is_empty(), "{pairs:?}");
        assert!(a.iter().all(|d| d.updated_ns.is_some()), "{pairs:?}");
        assert_eq!(answer(&post, method, pairs), a, "{method:?} {pairs:?}");
    }
}
