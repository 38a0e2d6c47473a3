//! Helpers for tests, examples and benchmarks that use the shared real-data set.
//!
//! The data set (`shared/data`: real miniSEED, SEED and StationXML files with expected
//! results) lives beside the repository. Tests find it through [`test_data_dir`].

use std::path::PathBuf;

/// The shared test-data directory: `$SIQACO_TEST_DATA` when set, else `../shared/data`
/// relative to the workspace root. Returns `None`, after printing a loud notice on stderr,
/// when the directory does not exist, so that a test can skip instead of failing on a
/// machine without the data.
pub fn test_data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("SIQACO_TEST_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    };
    if dir.is_dir() {
        Some(dir.canonicalize().unwrap_or(dir))
    } else {
        eprintln!(
            "SKIPPED: shared test data not found at {} (set SIQACO_TEST_DATA)",
            dir.display()
        );
        None
    }
}

/// Every regular file directly inside `dir`, sorted by name.
pub fn files_in(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Every regular file below `dir`, recursively, sorted by path.
pub fn files_below(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for p in std::fs::read_dir(&d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
        {
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A real `portable-fdsnws-dataselect` server on 127.0.0.1 for integration tests, serving
/// a siqaco catalogue of an SDS archive; stopped (killed by its process id) when dropped.
///
/// The server runs from its own virtual environment (it pins `pymseed<1`): `.venv-fdsnws`
/// at the workspace root (made by `scripts/bootstrap`), or the executable named by
/// `SIQACO_FDSNWS_BIN`.
#[derive(Debug)]
pub struct FdsnwsServer {
    child: std::process::Child,
    /// The port it listens on.
    pub port: u16,
    /// The catalogue it serves (`DIR/ts.sqlite`).
    pub catalogue: PathBuf,
}

impl Drop for FdsnwsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FdsnwsServer {
    /// The executable, or `None` after a loud notice on stderr (the test then skips).
    pub fn bin() -> Option<PathBuf> {
        let p = match std::env::var_os("SIQACO_FDSNWS_BIN") {
            Some(p) => PathBuf::from(p),
            None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../.venv-fdsnws/bin/portable-fdsnws-dataselect"),
        };
        if p.is_file() {
            Some(p)
        } else {
            eprintln!(
                "SKIPPED: portable-fdsnws-dataselect not found at {} (run scripts/bootstrap or \
                 set SIQACO_FDSNWS_BIN)",
                p.display()
            );
            None
        }
    }

    /// Indexes the SDS archive `sds` into `dir/ts.sqlite` with siqaco, builds the summary
    /// table (`-i`) and starts the server on a free port with `request_limit` bytes; waits
    /// until it accepts connections (60 s at most).
    ///
    /// # Panics
    /// When indexing fails or the server does not start (this is a test helper).
    pub fn start(
        bin: &std::path::Path,
        sds: &std::path::Path,
        dir: &std::path::Path,
        request_limit: u64,
    ) -> FdsnwsServer {
        use crate::archive::{Archive, Layout};
        use crate::index::{Catalogue, IndexOptions};
        use std::process::{Command, Stdio};
        use std::time::{Duration, Instant};
        let db = dir.join("ts.sqlite");
        let mut cat = Catalogue::open(&db).expect("catalogue");
        cat.index_archive(&Archive::new(sds, Layout::Sds), &IndexOptions::default())
            .expect("index");
        drop(cat);
        let port = free_port();
        let ini = dir.join("server.ini");
        std::fs::write(
            &ini,
            format!(
                "[index_db]\npath = {}\ntable = tsindex\nsummary_table = tsindex_summary\n\
                 [server]\ninterface = 127.0.0.1\nport = {port}\nrequest_limit = {request_limit}\n\
                 maxsectiondays = 10\n[logging]\npath = {}\nlevel = INFO\n",
                db.display(),
                dir.join("dataselect.log").display()
            ),
        )
        .expect("server.ini");
        let st = Command::new(bin)
            .arg("-i")
            .arg(&ini)
            .current_dir(dir)
            .status()
            .expect("portable-fdsnws-dataselect -i");
        assert!(st.success(), "portable-fdsnws-dataselect -i failed");
        let child = Command::new(bin)
            .arg(&ini)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("portable-fdsnws-dataselect");
        let server = FdsnwsServer {
            child,
            port,
            catalogue: db,
        };
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "server did not start listening on 127.0.0.1:{port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A TCP port free on 127.0.0.1 right now (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}
