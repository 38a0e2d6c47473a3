//! Test harness: a throw-away PostgreSQL server on 127.0.0.1 in a temporary directory.
//!
//! `initdb -D DIR/data -U siqaco --auth=trust`, then `pg_ctl start` on a free port with the
//! socket in DIR; [`PgServer`]'s `Drop` stops it (`pg_ctl stop -m immediate`, then a kill
//! of the postmaster's PID as a fallback), so the server goes away when a test panics.
//!
//! The binaries are looked up in `$SIQACO_PG_BIN`, then `/usr/lib/postgresql/*/bin` (the
//! newest), then `pg_config --bindir`. When none is found the tests are skipped with a
//! message on stderr, unless `SIQACO_REQUIRE_POSTGRES=1`, which makes the skip a failure.
//! `initdb` and the server refuse to run as root: as root the harness runs them as the
//! `postgres` user (`runuser -u postgres --`) and gives it the temporary directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running server; stopped on drop.
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    run_as: Option<String>,
    /// The TCP port on 127.0.0.1.
    pub port: u16,
}

fn find_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SIQACO_PG_BIN") {
        return Some(PathBuf::from(p));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_string_lossy().parse().ok()?;
            let b = e.path().join("bin");
            b.join("initdb").is_file().then_some((v, b))
        })
        .collect();
    found.sort();
    if let Some((_, b)) = found.pop() {
        return Some(b);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let b = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    b.join("initdb").is_file().then_some(b)
}

/// Says why the PostgreSQL tests are skipped (or fails when they are required).
pub fn skip(why: &str) {
    if std::env::var("SIQACO_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        panic!("PostgreSQL tests required (SIQACO_REQUIRE_POSTGRES=1) but: {why}");
    }
    eprintln!("SKIPPED PostgreSQL test: {why}");
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl PgServer {
    /// Starts a server, or returns `None` (after [`skip`]) when PostgreSQL is missing.
    pub fn start() -> Option<PgServer> {
        let Some(bin) = find_bin() else {
            skip("no initdb in $SIQACO_PG_BIN, /usr/lib/postgresql/*/bin or pg_config --bindir (apt-get install postgresql)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let run_as = if is_root() {
            let ok = Command::new("id")
                .arg("postgres")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            if !ok {
                skip("running as root and there is no `postgres` user to run initdb as");
                return None;
            }
            let st = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(st.success(), "chown postgres {}", dir.path().display());
            Some("postgres".to_string())
        } else {
            None
        };
        let mut server = PgServer {
            dir,
            bin,
            run_as,
            port: 0,
        };
        let data = server.data();
        server.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "siqaco",
                "--auth=trust",
                "--no-locale",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        // a port taken between free_port() and start: try a few
        for attempt in 0..5 {
            server.port = free_port();
            let opts = format!(
                "-k {} -p {} -h 127.0.0.1 -F -c listen_addresses=127.0.0.1",
                server.dir.path().display(),
                server.port
            );
            let log = format!("{}/server.log", server.dir.path().display());
            let ok = server.try_run(
                "pg_ctl",
                &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"],
            );
            if ok {
                return Some(server);
            }
            eprintln!(
                "pg_ctl start failed (attempt {attempt}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        panic!("could not start PostgreSQL");
    }

    fn data(&self) -> String {
        format!("{}/data", self.dir.path().display())
    }

    fn command(&self, prog: &str, args: &[&str]) -> Command {
        let exe = self.bin.join(prog);
        let mut c = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        c.args(args).current_dir(self.dir.path());
        c
    }

    fn try_run(&self, prog: &str, args: &[&str]) -> bool {
        let out = self.command(prog, args).output().unwrap();
        if !out.status.success() {
            eprintln!(
                "{prog} {args:?}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out.status.success()
    }

    fn run(&self, prog: &str, args: &[&str]) {
        assert!(self.try_run(prog, args), "{prog} failed");
    }

    /// The URL of database `db` as user `siqaco`.
    pub fn url(&self, db: &str) -> String {
        format!("postgresql://siqaco@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates database `name` and returns its URL.
    pub fn create_db(&self, name: &str) -> String {
        let admin = siqaco::index::Catalogue::open_raw(Path::new(&self.url("postgres"))).unwrap();
        admin
            .execute_sql(&format!("CREATE DATABASE {name}"))
            .unwrap();
        self.url(name)
    }

    /// The postmaster's PID (first line of `postmaster.pid`).
    fn pid(&self) -> Option<u32> {
        let s = std::fs::read_to_string(format!("{}/postmaster.pid", self.data())).ok()?;
        s.lines().next()?.trim().parse().ok()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let pid = self.pid();
        let data = self.data();
        if !self.try_run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]) {
            if let Some(pid) = pid {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}
