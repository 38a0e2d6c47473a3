//! FDSN dataselect source against a scripted HTTP server on 127.0.0.1: failure modes that a
//! real server cannot be made to show. Each server accepts a bounded number of connections.

use siqaco::source::fdsn::{FdsnDataselect, FdsnOptions};
use siqaco::source::{RequestLine, Source, SourceInfo};
use siqaco::testing::test_data_dir;
use siqaco::time::parse_time;
use siqaco::{ErrorKind, Nslc};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the scripted server does with one connection.
enum Reply {
    /// Read the request, send this status, extra headers and body, close.
    Send(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Do not read the request; close at once (the kernel resets the connection).
    Reset,
    /// Read the request, wait, then send 200 with the body.
    Slow(Duration, Vec<u8>),
}

/// Serves `replies`, one connection each, in order; returns the port and a handle giving
/// the request bodies received.
fn serve(replies: Vec<Reply>) -> (u16, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for reply in replies {
            let Ok((mut s, _)) = listener.accept() else {
                break;
            };
            match reply {
                Reply::Reset => {
                    std::thread::sleep(Duration::from_millis(100));
                    drop(s);
                }
                Reply::Send(status, headers, body) => {
                    bodies.push(read_request(&mut s));
                    respond(&mut s, status, &headers, &body);
                }
                Reply::Slow(wait, body) => {
                    bodies.push(read_request(&mut s));
                    std::thread::sleep(wait);
                    respond(&mut s, 200, &[], &body);
                }
            }
        }
        bodies
    });
    (port, h)
}

fn read_request(s: &mut TcpStream) -> String {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    let mut b = [0u8; 4096];
    let header_end = loop {
        let n = s.read(&mut b).unwrap_or(0);
        if n == 0 {
            return String::new();
        }
        buf.extend_from_slice(&b[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = s.read(&mut b).unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&b[..n]);
    }
    String::from_utf8_lossy(&buf[header_end..]).into_owned()
}

fn respond(s: &mut TcpStream, status: u16, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(body);
}

/// Real records of IU.COLA.00.LHZ on 2010-02-27, and a request line for that day.
fn lhz() -> Option<(Vec<u8>, RequestLine)> {
    let dir = test_data_dir()?;
    let bytes =
        std::fs::read(dir.join("sds-small/2010/IU/COLA/LHZ.D/IU.COLA.00.LHZ.D.2010.058")).ok()?;
    let line = RequestLine::new(
        &Nslc::new("IU", "COLA", "00", "LHZ"),
        parse_time("2010-02-27").unwrap(),
        parse_time("2010-02-28").unwrap(),
    );
    Some((bytes, line))
}

fn source(port: u16, timeout: Duration, retries: u32) -> FdsnDataselect {
    let opts = FdsnOptions {
        timeout,
        max_retries: retries,
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        min_split_s: 1.0,
        ..FdsnOptions::default()
    };
    FdsnDataselect::new(
        SourceInfo::new("mock"),
        &format!("http://127.0.0.1:{port}"),
        opts,
    )
    .unwrap()
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn data_is_staged_and_request_is_well_formed() {
    let Some((bytes, line)) = lhz() else { return };
    let (port, h) = serve(vec![Reply::Send(200, vec![], bytes.clone())]);
    let staging = tempfile::tempdir().unwrap();
    let r = source(port, Duration::from_secs(5), 0)
        .fetch(std::slice::from_ref(&line), staging.path())
        .unwrap();
    assert_eq!(r.files.len(), 1);
    assert_eq!(std::fs::read(&r.files[0]).unwrap(), bytes);
    assert_eq!(entries(staging.path()).len(), 1);
    let bodies = h.join().unwrap();
    assert_eq!(
        bodies[0],
        "nodata=404\nIU COLA 00 LHZ 2010-02-27T00:00:00.000000 2010-02-28T00:00:00.000000\n"
    );
}

#[test]
fn no_data_statuses() {
    let Some((_, line)) = lhz() else { return };
    for reply in [
        Reply::Send(204, vec![], vec![]),
        Reply::Send(404, vec![], b"Error 404: No data".to_vec()),
        Reply::Send(200, vec![], vec![]),
    ] {
        let (port, _h) = serve(vec![reply]);
        let staging = tempfile::tempdir().unwrap();
        let r = source(port, Duration::from_secs(5), 0)
            .fetch(std::slice::from_ref(&line), staging.path())
            .unwrap();
        assert!(r.is_no_data());
        assert!(entries(staging.path()).is_empty());
    }
}

#[test]
fn html_page_with_200_is_rejected() {
    let Some((_, line)) = lhz() else { return };
    let html = b"<html><body><h1>Service maintenance</h1></body></html>\n".to_vec();
    let (port, _h) = serve(vec![Reply::Send(200, vec![], html)]);
    let staging = tempfile::tempdir().unwrap();
    let e = source(port, Duration::from_secs(5), 0)
        .fetch(std::slice::from_ref(&line), staging.path())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "http://127.0.0.1:{port}/fdsnws/dataselect/1/query"
        )),
        "{msg}"
    );
    assert!(msg.contains("not valid miniSEED"), "{msg}");
    assert!(msg.contains("<html>"), "{msg}");
    assert!(entries(staging.path()).is_empty());
}

#[test]
fn truncated_body_is_rejected() {
    let Some((bytes, line)) = lhz() else { return };
    let cut = bytes[..bytes.len() - 100].to_vec();
    let (port, _h) = serve(vec![Reply::Send(200, vec![], cut)]);
    let staging = tempfile::tempdir().unwrap();
    let e = source(port, Duration::from_secs(5), 0)
        .fetch(std::slice::from_ref(&line), staging.path())
        .unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    assert!(entries(staging.path()).is_empty());
}

#[test]
fn records_outside_the_request_are_rejected() {
    let Some((bytes, mut line)) = lhz() else {
        return;
    };
    line.stream.channel = "BHZ".into();
    let (port, _h) = serve(vec![Reply::Send(200, vec![], bytes)]);
    let staging = tempfile::tempdir().unwrap();
    let e = source(port, Duration::from_secs(5), 0)
        .fetch(std::slice::from_ref(&line), staging.path())
        .unwrap_err();
    assert!(e.to_string().contains("outside what was asked"), "{e}");
    assert!(entries(staging.path()).is_empty());
}

#[test]
fn connection_reset_is_retried() {
    let Some((bytes, line)) = lhz() else { return };
    let (port, h) = serve(vec![Reply::Reset, Reply::Send(200, vec![], bytes)]);
    let staging = tempfile::tempdir().unwrap();
    let r = source(port, Duration::from_secs(5), 2)
        .fetch(std::slice::from_ref(&line), staging.path())
        .unwrap();
    assert_eq!(r.files.len(), 1);
    assert_eq!(r.requests_retried, 1);
    h.join().unwrap();
}

#[test]
fn connection_reset_exhausts_retries() {
    let Some((_, line)) = lhz() else { return };
    let (port, _h) = serve(vec![Reply::Reset, Reply::Reset]);
    let staging = tempfile::tempdir().unwrap();
    let e = source(port, Duration::from_secs(5), 1)
        .fetch(std::slice::from_ref(&line), staging.path())
        .unwrap_err();
    assert!(e.to_string().contains("gave up after 2 attempts"), "{e}");
    assert!(entries(staging.path()).is_empty());
}

#[test]
fn too_many_requests_honours_retry_after() {
    let Some((bytes, line)) = lhz() else { return };
    let (port, _h) = serve(vec![
        Reply::Send(
            429,
            vec![("Retry-After", "1".into())],
            b"slow down".to_vec(),
        ),
        Reply::Send(503, vec![], b"busy".to_vec()),
        Reply::Send(200, vec![], bytes),
    ]);
    let staging = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let r = source(port, Duration::from_secs(5), 3)
        .fetch(std::slice::from_ref(&line), staging.path())
        .unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(1000));
    assert_eq!(r.files.len(), 1);
    assert_eq!(r.requests_retried, 2);
}

#[test]
fn slow_response_past_timeout_fails() {
    let Some((bytes, line)) = lhz() else { return };
    let (port, _h) = serve(vec![
        Reply::Slow(Duration::from_millis(1500), bytes.clone()),
        Reply::Slow(Duration::from_millis(1500), bytes),
    ]);
    let staging = tempfile::tempdir().unwrap();
    let e = source(port, Duration::from_millis(300), 1)
        .fetch(std::slice::from_ref(&line), staging.path())
        .unwrap_err();
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(entries(staging.path()).is_empty());
}

#[test]
fn client_errors_are_not_retried() {
    let Some((_, line)) = lhz() else { return };
    for (status, why) in [
        (400, "bad request"),
        (401, "authentication required"),
        (403, "access forbidden"),
    ] {
        let (port, h) = serve(vec![Reply::Send(status, vec![], b"Error: nope".to_vec())]);
        let staging = tempfile::tempdir().unwrap();
        let e = source(port, Duration::from_secs(5), 3)
            .fetch(std::slice::from_ref(&line), staging.path())
            .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(&format!("HTTP {status}")), "{msg}");
        assert!(msg.contains(why) && msg.contains("Error: nope"), "{msg}");
        assert_eq!(h.join().unwrap().len(), 1);
    }
}

#[test]
fn request_too_large_is_split_by_time() {
    let Some((bytes, line)) = lhz() else { return };
    // The request spans exactly the records, so that both halves hold data.
    let mut line = line;
    let heads: Vec<(i64, i64, &[u8])> = siqaco::record::RecordScanner::new(&bytes)
        .filter_map(|i| match i {
            siqaco::record::ScanItem::Record { header, .. } => {
                Some((header.start_ns, header.coverage_end_ns(), header.raw))
            }
            _ => None,
        })
        .collect();
    line.start_ns = heads.iter().map(|h| h.0).min().unwrap();
    line.end_ns = heads.iter().map(|h| h.1).max().unwrap();
    let mid = line.start_ns + (line.end_ns - line.start_ns) / 2;
    let (mut am, mut pm) = (Vec::new(), Vec::new());
    for (s, _, raw) in &heads {
        if *s < mid {
            am.extend_from_slice(raw);
        } else {
            pm.extend_from_slice(raw);
        }
    }
    let (port, h) = serve(vec![
        Reply::Send(413, vec![], b"too much".to_vec()),
        Reply::Send(200, vec![], am),
        Reply::Send(200, vec![], pm),
    ]);
    let staging = tempfile::tempdir().unwrap();
    let r = source(port, Duration::from_secs(5), 0)
        .fetch(std::slice::from_ref(&line), staging.path())
        .unwrap();
    assert_eq!(r.files.len(), 2);
    let bodies = h.join().unwrap();
    let fmt = siqaco::source::format_fdsn_time;
    assert!(bodies[1].contains(&format!("{} {}", fmt(line.start_ns), fmt(mid))));
    assert!(bodies[2].contains(&format!("{} {}", fmt(mid), fmt(line.end_ns))));
}
