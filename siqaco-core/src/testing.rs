//! Helpers for tests, examples and benchmarks that use the real-data set (feature
//! `testing`, off by default: the workspace's crates enable it in their dev-dependencies).
//!
//! The data set (`tests/data` of the repository: real miniSEED, SEED and StationXML files
//! with expected results, each file's origin, licence and SHA-256 in its `MANIFEST.tsv` and
//! `README.md`) is found through [`test_data_dir`]; the repository itself is found at run
//! time ([`workspace_root`]), nothing is compiled in.

use std::path::{Path, PathBuf};

/// The root of the siqaco workspace, found at run time: the nearest directory holding a
/// `Cargo.toml` with a `[workspace]` table, looked for from `$CARGO_MANIFEST_DIR` (set by
/// cargo when it runs a test, benchmark or example) and then from the current directory,
/// each and its ancestors. `None` when neither lies inside the workspace.
pub fn workspace_root() -> Option<PathBuf> {
    let starts = [
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
        std::env::current_dir().ok(),
    ];
    starts.into_iter().flatten().find_map(|start| {
        start
            .ancestors()
            .find(|d| {
                std::fs::read_to_string(d.join("Cargo.toml"))
                    .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
            })
            .map(Path::to_path_buf)
    })
}

/// The test-data directory: `$SIQACO_TEST_DATA` when set, else `tests/data` of the
/// workspace root ([`workspace_root`]).
///
/// Always `Some` (the `Option` lets callers keep the `let Some(d) = test_data_dir() else`
/// form): the data is part of the repository, so a test that needs it fails rather than
/// skips when it is missing (issue #23).
///
/// # Panics
/// When the directory has no `MANIFEST.json` (not the data set: a wrong `$SIQACO_TEST_DATA`,
/// or a run outside the workspace).
pub fn test_data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("SIQACO_TEST_DATA") {
        Some(d) => PathBuf::from(d),
        None => workspace_root().unwrap_or_default().join("tests/data"),
    };
    assert!(
        dir.join("MANIFEST.json").is_file(),
        "test data not found at {} (tests/data of the repository, or $SIQACO_TEST_DATA)",
        dir.display()
    );
    Some(dir.canonicalize().unwrap_or(dir))
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

/// Copies the directory tree `from` to `to` (created), regular files and directories only.
///
/// # Panics
/// When a file cannot be read or written (a test helper).
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (p, q) = (e.path(), to.join(e.file_name()));
        if p.is_dir() {
            copy_tree(&p, &q);
        } else {
            std::fs::copy(&p, &q).unwrap();
        }
    }
}

/// The contents of an archive for before/after comparisons: every regular file below `root`
/// (a merge journal and staged files included), path relative to `root` → bytes, except
/// the archive lock file ([`crate::archive::leftover::LOCK_NAME`]) that a writing merge or update
/// leaves in place by design.
pub fn archive_tree(root: &std::path::Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    files_below(root)
        .into_iter()
        .filter(|p| !p.ends_with(crate::archive::leftover::LOCK_NAME))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p.strip_prefix(root).unwrap_or(&p).to_path_buf(), bytes)
        })
        .collect()
}

/// A real `portable-fdsnws-dataselect` server on 127.0.0.1 for integration tests, serving
/// a siqaco catalogue of an SDS archive; stopped (killed by its process id) when dropped.
///
/// The server runs from its own virtual environment (it pins `pymseed<1`): `.venv-fdsnws`
/// at the workspace root (made by `scripts/bootstrap`), or the executable named by
/// `SIQACO_FDSNWS_BIN`.
#[cfg(feature = "sqlite")]
#[derive(Debug)]
pub struct FdsnwsServer {
    child: std::process::Child,
    /// The port it listens on.
    pub port: u16,
    /// The catalogue it serves (`DIR/ts.sqlite`).
    pub catalogue: PathBuf,
}

#[cfg(feature = "sqlite")]
impl Drop for FdsnwsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(feature = "sqlite")]
impl FdsnwsServer {
    /// The executable, or `None` after a loud notice on stderr (the test then skips).
    pub fn bin() -> Option<PathBuf> {
        let p = match std::env::var_os("SIQACO_FDSNWS_BIN") {
            Some(p) => PathBuf::from(p),
            None => workspace_root()
                .unwrap_or_default()
                .join(".venv-fdsnws/bin/portable-fdsnws-dataselect"),
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

/// Writes an HTTP/1.1 `200` response to `out` as a server that trickles its body: the head
/// (with the `Content-Length` of the whole `body` and `Connection: close`), then `body`
/// `piece` bytes at a time with `pause` after each write. Stops early, quietly, when a
/// write fails (the client has gone). For tests of request deadlines (issue #16).
pub fn write_trickled(
    out: &mut impl std::io::Write,
    body: &[u8],
    piece: usize,
    pause: std::time::Duration,
) {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if out.write_all(head.as_bytes()).is_err() {
        return;
    }
    for p in body.chunks(piece.max(1)) {
        if out.write_all(p).and_then(|_| out.flush()).is_err() {
            return;
        }
        std::thread::sleep(pause);
    }
}

/// Reads an HTTP/1.1 request from `s` (a test server's connection): its head (request line
/// and headers, up to the blank line) and its body of `Content-Length` bytes, as text; empty
/// strings when the client closes first. Waits at most 5 s for each read.
pub fn read_http_request(s: &mut std::net::TcpStream) -> (String, String) {
    use std::io::Read;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut buf = Vec::new();
    let mut b = [0u8; 4096];
    let header_end = loop {
        let n = s.read(&mut b).unwrap_or(0);
        if n == 0 {
            return (String::new(), String::new());
        }
        buf.extend_from_slice(&b[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let len: usize = head
        .to_ascii_lowercase()
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap_or(0))
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = s.read(&mut b).unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&b[..n]);
    }
    (
        head,
        String::from_utf8_lossy(&buf[header_end..]).into_owned(),
    )
}

/// The threads of the rayon pool of each parallel step of an operation noted while
/// [`joining_threads`] runs its closure (the joining of traces of a scan or a read,
/// `rayon::current_num_threads()` inside the step).
static POOL_THREADS: std::sync::Mutex<Option<Vec<usize>>> = std::sync::Mutex::new(None);

/// Notes the current pool's threads when [`joining_threads`] is listening.
pub(crate) fn note_pool_threads() {
    if let Ok(mut g) = POOL_THREADS.lock() {
        if let Some(v) = g.as_mut() {
            v.push(rayon::current_num_threads());
        }
    }
}

/// Runs `f` and returns its result with the threads of the rayon pool each trace was
/// joined on (one entry per stream joined by a scan or a read) while it ran. For tests
/// that check an operation's `threads` bounds every parallel step; the notes of other
/// operations running at the same time in the process are mixed in, so a test binary
/// using it should run one operation at a time.
pub fn joining_threads<R>(f: impl FnOnce() -> R) -> (R, Vec<usize>) {
    *POOL_THREADS.lock().unwrap_or_else(|e| e.into_inner()) = Some(Vec::new());
    let r = f();
    let seen = POOL_THREADS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    (r, seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The repository is found at run time: the directory it names holds this crate's
    /// manifest and the workspace manifest that lists it as a member.
    #[test]
    fn workspace_root_is_the_repository_of_this_crate() {
        let root = workspace_root().expect("cargo test runs inside the workspace");
        assert!(
            root.join("siqaco-core/Cargo.toml").is_file(),
            "{}",
            root.display()
        );
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("\"siqaco-core\""), "{}", root.display());
    }
}
