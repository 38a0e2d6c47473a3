//! An external program as a source, with Morumotto's source-script contract, so that sites
//! keep their Q330, SSH or SeedLink scripts.
//!
//! **Fetch:** the program is run as
//! `PROGRAM --postfile=P --workspace=DIR --data-format=miniSEED --blocksize=4096
//! --compression=STEIM2 --connect-infos=S --cpu-limit=100 --log-level=2`, where `P` is a
//! postfile holding the request lines (FDSN POST format) and `DIR` an empty directory. It
//! must leave one miniSEED file per stream, named `NET.STA.LOC.CHA`, in `DIR`, and exit
//! with:
//!
//! | code | meaning | outcome |
//! |---|---|---|
//! | 0 | success | each file is validated (clean miniSEED, records of the stream its name gives and inside the request) and staged |
//! | 1 | execution error | [`Error::Source`] |
//! | 2 | no data | an empty [`FetchReport`] |
//! | 3 | timeout or connection error | [`Error::Source`] |
//! | 4 | bad identifier | [`Error::Source`] |
//! | 5 | write error | [`Error::Source`] |
//!
//! Any other code, death by a signal, or running longer than the timeout (the program is
//! then killed) is an [`Error::Source`] too. On any error nothing is staged; the workspace is
//! always removed. The program's standard output and error are captured and the last
//! lines quoted in errors.
//!
//! **Online check:** `PROGRAM --is_online=S --log-level=2`; exit 0 means online.

use super::{
    full_availability, postfile_text, staged_name, validate_file, AvailabilitySpan, FetchReport,
    InFlight, RequestLine, Source, SourceInfo,
};
use crate::error::{Error, Result};
use crate::sid::Nslc;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The meaning of an exit code of the contract (`None` for codes outside it).
pub fn exit_code_meaning(code: i32) -> Option<&'static str> {
    Some(match code {
        0 => "success",
        1 => "execution error",
        2 => "no data",
        3 => "timeout or connection error",
        4 => "bad identifier",
        5 => "write error",
        _ => return None,
    })
}

/// An external fetch program.
#[derive(Debug)]
pub struct ExternalSource {
    info: SourceInfo,
    program: PathBuf,
    connect_infos: String,
    timeout: Duration,
    in_flight: InFlight,
}

impl ExternalSource {
    /// A source running `program`, passing `connect_infos` as `--connect-infos=`, killed
    /// after `timeout`.
    pub fn new(
        info: SourceInfo,
        program: impl Into<PathBuf>,
        connect_infos: impl Into<String>,
        timeout: Duration,
    ) -> Self {
        ExternalSource {
            in_flight: InFlight::new(info.max_in_flight),
            info,
            program: program.into(),
            connect_infos: connect_infos.into(),
            timeout,
        }
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::Source {
            source_name: self.info.name.clone(),
            message: message.into(),
        }
    }

    /// Runs the program; returns its exit code (None when killed by a signal) and output.
    fn run(&self, args: &[String], dir: &Path) -> Result<(Option<i32>, String)> {
        let log = dir.join("program.log");
        let logf = std::fs::File::create(&log).map_err(|e| Error::io(&log, e))?;
        let logf2 = logf.try_clone().map_err(|e| Error::io(&log, e))?;
        let mut child = Command::new(&self.program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(logf)
            .stderr(logf2)
            .spawn()
            .map_err(|e| self.err(format!("cannot run {}: {e}", self.program.display())))?;
        let t0 = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if t0.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(self.err(format!(
                        "{} killed after the {:.1} s timeout",
                        self.program.display(),
                        self.timeout.as_secs_f64()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(self.err(format!("waiting for the program: {e}"))),
            }
        };
        let out = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = out.lines().rev().take(5).collect();
        let tail = tail.into_iter().rev().collect::<Vec<_>>().join(" | ");
        Ok((status.code(), tail))
    }
}

impl Source for ExternalSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Runs the program for `lines` (see the module documentation).
    ///
    /// # Errors
    /// [`Error::Source`] naming the source, the exit code and its meaning, or the file that
    /// failed validation; [`Error::Io`] for the staging directory.
    fn fetch(&self, lines: &[RequestLine], staging: &Path) -> Result<FetchReport> {
        let _permit = self.in_flight.acquire();
        let work = tempfile::Builder::new()
            .prefix(".siqaco-external-")
            .tempdir_in(staging)
            .map_err(|e| Error::io(staging, e))?;
        let postfile = work.path().join("post.request.txt");
        std::fs::write(&postfile, postfile_text(&[], lines))
            .map_err(|e| Error::io(&postfile, e))?;
        let ws = work.path().join("workspace");
        std::fs::create_dir(&ws).map_err(|e| Error::io(&ws, e))?;
        let args = vec![
            format!("--postfile={}", postfile.display()),
            format!("--workspace={}", ws.display()),
            "--data-format=miniSEED".into(),
            "--blocksize=4096".into(),
            "--compression=STEIM2".into(),
            format!("--connect-infos={}", self.connect_infos),
            "--cpu-limit=100".into(),
            "--log-level=2".into(),
        ];
        let (code, tail) = self.run(&args, work.path())?;
        match code {
            Some(0) => {}
            Some(2) => {
                return Ok(FetchReport {
                    requests_done: 1,
                    ..FetchReport::default()
                })
            }
            Some(c) => {
                let meaning = exit_code_meaning(c).unwrap_or("not an exit code of the contract");
                return Err(self.err(format!("exit code {c} ({meaning}); output: {tail}")));
            }
            None => return Err(self.err(format!("killed by a signal; output: {tail}"))),
        }
        // Validate everything before staging anything (each file read through a bounded
        // buffer, not whole).
        let mut outputs = Vec::new();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&ws)
            .map_err(|e| Error::io(&ws, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let nslc = Nslc::parse(&name).map_err(|_| {
                self.err(format!(
                    "output file {name:?} is not named NET.STA.LOC.CHA (contract)"
                ))
            })?;
            let own: Vec<RequestLine> = lines
                .iter()
                .filter(|l| l.stream.matches(&nslc))
                .cloned()
                .collect();
            let (_, size) = validate_file(&path, &own)?
                .map_err(|m| self.err(format!("output file {name}: {m}")))?;
            if size > 0 {
                outputs.push((nslc, path, size));
            }
        }
        let mut report = FetchReport {
            requests_done: 1,
            ..FetchReport::default()
        };
        // The workspace is inside the staging directory: each file is synced and renamed
        // into place.
        for (nslc, path, size) in outputs {
            let dest = staging.join(staged_name(&format!("{}-{nslc}", self.info.name)));
            std::fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io(&path, e))?;
            std::fs::rename(&path, &dest).map_err(|e| Error::io(&dest, e))?;
            report.bytes += size;
            report.files.push(dest);
        }
        Ok(report)
    }

    /// The whole window for every stream (Morumotto's fallback when no availability
    /// script answers).
    fn availability(&self, streams: &[Nslc], window: (i64, i64)) -> Result<Vec<AvailabilitySpan>> {
        Ok(full_availability(streams, window))
    }

    /// Runs `PROGRAM --is_online=S --log-level=2`: online when it exits with 0 within the
    /// timeout.
    fn is_online(&self) -> bool {
        let Ok(dir) = tempfile::tempdir() else {
            return false;
        };
        let args = vec![
            format!("--is_online={}", self.connect_infos),
            "--log-level=2".into(),
        ];
        matches!(self.run(&args, dir.path()), Ok((Some(0), _)))
    }
}
