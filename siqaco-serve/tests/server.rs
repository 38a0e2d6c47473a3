//! The server as a whole (`siqaco_serve::serve` on 127.0.0.1, real sockets): settings refused
//! before binding, the shutdown future stopping it, and a PostgreSQL catalogue (a throw-away
//! server, `siqaco-core/tests/pg_server`) served as the SQLite one is.

#[path = "../../siqaco-core/tests/pg_server/mod.rs"]
mod pg_server;

use siqaco::archive::{Archive, Layout};
use siqaco::index::{Catalogue, IndexOptions};
use siqaco::testing::test_data_dir;
use siqaco_serve::{AppState, ServeSettings};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// `GET path` over HTTP/1.0: (status, body).
fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, raw[end + 4..].to_vec())
}

/// `serve(settings)` on its own runtime and thread; the sender stops it.
struct Running {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<siqaco::Result<()>>>,
}

impl Running {
    fn start(settings: ServeSettings) -> Running {
        let addr = settings.bind;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(siqaco_serve::serve(settings, async {
                    let _ = rx.await;
                }))
        });
        for _ in 0..600 {
            if TcpStream::connect(addr).is_ok() {
                break;
            }
            assert!(!thread.is_finished(), "the server stopped");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Running {
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> siqaco::Result<()> {
        let _ = self.stop.take().unwrap().send(());
        self.thread.take().unwrap().join().unwrap()
    }
}

fn settings(catalogue: &str) -> ServeSettings {
    let mut s = ServeSettings::new(catalogue);
    s.bind = free_addr();
    s
}

fn index(catalogue: &str, root: &Path) {
    let mut cat = Catalogue::open(catalogue).unwrap();
    cat.index_archive(&Archive::new(root, Layout::Sds), &IndexOptions::default())
        .unwrap();
}

#[test]
fn bad_settings_are_refused_before_binding() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    Catalogue::open(&db).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut s = settings(db.to_str().unwrap());
    s.max_concurrent = 0;
    let e = rt.block_on(siqaco_serve::serve(s, async {})).unwrap_err();
    assert_eq!(e.field_name(), Some("max_concurrent"));
    let mut s = settings(db.to_str().unwrap());
    s.credentials = Some(dir.path().join("missing-htdigest"));
    let e = rt.block_on(siqaco_serve::serve(s, async {})).unwrap_err();
    assert!(matches!(e, siqaco::Error::Io { .. }), "{e}");
    let s = settings(dir.path().join("nothing.sqlite").to_str().unwrap());
    assert!(rt.block_on(siqaco_serve::serve(s, async {})).is_err());
}

#[test]
fn the_shutdown_future_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    Catalogue::open(&db).unwrap();
    let s = settings(db.to_str().unwrap());
    let addr = s.bind;
    let server = Running::start(s);
    assert_eq!(get(addr, "/fdsnws/dataselect/1/version").0, 200);
    let (status, body) = get(addr, "/nothing");
    assert_eq!(status, 404);
    assert!(body.starts_with(b"Error 404: Not Found"));
    // An idle keep-alive connection does not hold the shutdown.
    let idle = TcpStream::connect(addr).unwrap();
    server.stop().unwrap();
    assert!(TcpStream::connect(addr).is_err());
    drop(idle);
}

/// A PostgreSQL catalogue of sds-small is served as the SQLite one: the pooled read-only
/// catalogues of [`AppState::with_catalogue`], 32 at once, read the same rows, no more
/// than [`siqaco_serve::state::MAX_IDLE_CATALOGUES`] connections stay open after, and
/// dataselect answers the same bytes from both.
#[test]
fn postgresql_catalogue_served_as_sqlite() {
    let Some(data) = test_data_dir() else { return };
    if !cfg!(feature = "postgres") {
        pg_server::skip("siqaco-serve built without the `postgres` feature");
        return;
    }
    let Some(pg) = pg_server::PgServer::start() else {
        return;
    };
    let root = data.join("sds-small");
    let url = pg.create_db("served");
    index(&url, &root);
    let dir = tempfile::tempdir().unwrap();
    let lite = dir.path().join("c.sqlite");
    index(lite.to_str().unwrap(), &root);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows = |target: &str| {
        let state = AppState::new(ServeSettings::new(target)).unwrap();
        let all = rt.block_on(async {
            let tasks: Vec<_> = (0..32)
                .map(|_| {
                    let state = state.clone();
                    tokio::spawn(async move {
                        state
                            .with_catalogue(|cat| {
                                Ok(cat
                                    .tsindex_rows()?
                                    .into_iter()
                                    .map(|r| {
                                        (r.nslc.to_string(), r.filename, r.byteoffset, r.bytes)
                                    })
                                    .collect::<Vec<_>>())
                            })
                            .await
                            .unwrap()
                    })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        });
        assert!(state.idle_catalogues() <= siqaco_serve::state::MAX_IDLE_CATALOGUES);
        assert!(all.windows(2).all(|w| w[0] == w[1]));
        all.into_iter().next().unwrap()
    };
    let from_pg = rows(&url);
    assert_eq!(from_pg.len(), 37, "one row per file x section of sds-small");
    assert_eq!(from_pg, rows(lite.to_str().unwrap()));
    // And the server answers the same records from both: dataselect of every stream of
    // sds-small over its whole time range.
    let query = "/fdsnws/dataselect/1/query?net=*&start=2000-01-01&end=2030-01-01";
    let mut answers = Vec::new();
    for target in [url.as_str(), lite.to_str().unwrap()] {
        let mut s = settings(target);
        s.archive = Some(root.clone());
        let addr = s.bind;
        let server = Running::start(s);
        answers.push(get(addr, query));
        server.stop().unwrap();
    }
    assert_eq!(answers[0].0, 200);
    assert!(answers[0].1.len() > 100_000);
    assert_eq!(answers[0], answers[1]);
}
