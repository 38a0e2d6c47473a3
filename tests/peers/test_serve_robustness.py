"""`siqaco serve` under bad requests, bad clients and load, on real sockets: every refusal is
an FDSN error document with the right status (400 naming the parameter, 401 with a digest
challenge, 404, 405, 413, 503), slow and vanishing clients are let go, SIGTERM lets the
requests in progress finish, and after each the server keeps serving (``Server.alive()``
and a follow-up request). Authentication is checked with ObsPy's FDSN client (its
``user=``/``password=`` queryauth path) and requests' ``HTTPDigestAuth``."""

from __future__ import annotations

import hashlib
import os
import re
import select
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

requests = pytest.importorskip("requests")

from conftest import siqaco_bin  # noqa: E402
from serving import Server, index  # noqa: E402

DS = "/fdsnws/dataselect/1/query"
# A day of IU.COLA.00.BHZ in sds-small (2010-058) and its POST line.
DAY = {"net": "IU", "sta": "COLA", "loc": "00", "cha": "BHZ",
       "start": "2010-02-27T00:00:00", "end": "2010-02-28T00:00:00"}
LINE = "IU COLA 00 BHZ 2010-02-27T00:00:00 2010-02-28T00:00:00\n"


def assert_document(r, status: int, *words: str) -> str:
    """`r` is an FDSN error document with `status` whose text holds each of `words`."""
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("text/plain"), r.headers
    assert r.text.startswith(f"Error {status}: "), r.text[:300]
    for w in words:
        assert w in r.text, (w, r.text)
    return r.text


def still_serving(server: Server) -> None:
    assert server.alive()
    r = requests.get(server.url + "/fdsnws/dataselect/1/version", timeout=30)
    assert r.status_code == 200


@pytest.fixture(scope="module")
def catalogue(data, tmp_path_factory):
    c = tmp_path_factory.mktemp("robust") / "sds-small.sqlite"
    index(data / "sds-small", c)
    return c


@pytest.fixture(scope="module")
def htdigest(tmp_path_factory):
    f = tmp_path_factory.mktemp("auth") / "htdigest"
    ha1 = hashlib.md5(b"alice:FDSN:open sesame").hexdigest()
    f.write_text(f"# user:realm:MD5(user:realm:password)\nalice:FDSN:{ha1}\n")
    return f


def start(tmp_path, data, catalogue, *flags: str, log="serve.log") -> Server:
    return Server(
        ["--catalogue", str(catalogue), "--archive", str(data / "sds-small"), *flags],
        tmp_path / log,
    )


@pytest.fixture
def reference_day(sds_small_server) -> bytes:
    """The day's miniSEED as the plain server answers it (the oracle for the others)."""
    r = requests.get(sds_small_server.url + DS, params=DAY, timeout=60)
    assert r.status_code == 200, r.text[:300]
    assert len(r.content) > 0 and len(r.content) % 512 == 0
    return r.content


def hold(server: Server, body: bytes = LINE.encode()) -> socket.socket:
    """A POST to dataselect whose headers and first byte are sent and the rest held back:
    a request in progress (its handler is reading the body)."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    s.sendall(
        f"POST {DS} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n".encode() + body[:1]
    )
    return s


def hold_every_slot(server: Server, n: int) -> list[socket.socket]:
    """`n` requests held in progress (`hold`), returned once the server answers 503 (every
    slot of `--max-concurrent n` is taken by them).

    The server reads the held requests' headers in its own order, so a probe can take a slot
    before the last held request does, which is then refused (a 503 the held socket can
    read); such a request is sent again until all `n` are in progress."""
    held = [hold(server) for _ in range(n)]
    for _ in range(600):
        refused = [s for s in held if select.select([s], [], [], 0)[0]]
        for s in refused:
            s.close()
            held.remove(s)
            held.append(hold(server))
        r = requests.get(server.url + "/fdsnws/dataselect/1/version", timeout=30)
        if r.status_code == 503 and not refused:
            return held
        time.sleep(0.05)
    pytest.fail("the held requests never took every slot")


def finish(s: socket.socket, body: bytes = LINE.encode()) -> tuple[int, bytes]:
    """Sends the rest of `hold`'s body and reads the whole response: (status, body)."""
    s.sendall(body[1:])
    raw = b""
    while chunk := s.recv(65536):
        raw += chunk
    s.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    if b"transfer-encoding: chunked" in head.lower():
        out = b""
        while True:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        rest = out
    return status, rest


# -- bad parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, parameter",
    [
        (dict(DAY, foo="1"), "foo"),
        (dict(DAY, start="2010-02-31T00:00:00"), "starttime"),
        (dict(DAY, start="yesterday"), "starttime"),
        (dict(DAY, start="2010-02-28", end="2010-02-27"), "endtime"),
        (dict(DAY, quality="X"), "quality"),
        (dict(DAY, net="I.U"), "network"),
    ],
)
def test_bad_parameters_are_400_documents_naming_them(sds_small_server, params, parameter):
    r = requests.get(sds_small_server.url + DS, params=params, timeout=30)
    text = assert_document(r, 400, f"{parameter}: ")
    assert "Request:\n" + DS in text
    still_serving(sds_small_server)


def test_unknown_paths_and_methods(sds_small_server):
    for path in ["/nothing", "/fdsnws/dataselect/2/query", "/fdsnws/dataselect/1/"]:
        assert_document(requests.get(sds_small_server.url + path, timeout=30), 404, "no such path")
    for method in ["PUT", "DELETE", "PATCH"]:
        r = requests.request(method, sds_small_server.url + DS, timeout=30)
        assert_document(r, 405, f"method {method} is not allowed")
    still_serving(sds_small_server)


# -- request size ------------------------------------------------------------------------


def test_post_of_100000_lines_is_413_and_10000_lines_parse(sds_small_server, reference_day):
    r = requests.post(sds_small_server.url + DS, data=LINE * 100_000, timeout=120)
    assert_document(r, 413, "more than 10000 selection lines")
    still_serving(sds_small_server)
    # At the limit: the same line 10 000 times is the day once.
    r = requests.post(sds_small_server.url + DS, data=LINE * 10_000, timeout=300)
    assert r.status_code == 200, r.text[:300]
    assert r.content == reference_day


def test_body_over_the_byte_limit_is_413(tmp_path, data, catalogue, reference_day):
    # 100 lines allowed: bodies up to 100 KiB + 64 KiB.
    server = start(tmp_path, data, catalogue, "--max-post-lines", "100")
    try:
        r = requests.post(server.url + DS, data=LINE * 100_000, timeout=120)
        assert_document(r, 413)
        still_serving(server)
        r = requests.post(server.url + DS, data=LINE * 101, timeout=120)
        assert_document(r, 413, "more than 100 selection lines")
        r = requests.post(server.url + DS, data=LINE * 100, timeout=120)
        assert r.status_code == 200 and r.content == reference_day
    finally:
        assert server.stop() == 0


# -- bad clients -------------------------------------------------------------------------


def test_slow_client_is_disconnected(tmp_path, data, catalogue):
    server = start(tmp_path, data, catalogue, "--header-timeout", "2")
    try:
        request = (f"GET {DS}?net=IU HTTP/1.1\r\nHost: x\r\nUser-Agent: "
                   + "slow" * 50 + "\r\n\r\n").encode()
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        closed = False
        for i in range(len(request)):  # one byte every 0.25 s: about a minute in all
            try:
                s.send(request[i:i + 1])
                s.settimeout(0.25)
                got = s.recv(4096)
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            assert got == b"", got  # the server answered nothing: it closed
            closed = True
            break
        s.close()
        assert closed, "the server kept a connection whose headers never ended"
        assert i < len(request) - 1
        still_serving(server)
    finally:
        assert server.stop() == 0


def test_clients_that_disconnect(sds_small_server, reference_day):
    # In the middle of a POST body, then in the middle of a response.
    for _ in range(5):
        s = hold(sds_small_server, LINE.encode() * 10)
        s.close()
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", sds_small_server.port), timeout=30)
        q = "&".join(f"{k}={v}" for k, v in DAY.items())
        s.sendall(f"GET {DS}?{q} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert s.recv(1024).startswith(b"HTTP/1.1 200")
        s.close()
    still_serving(sds_small_server)
    r = requests.get(sds_small_server.url + DS, params=DAY, timeout=60)
    assert r.content == reference_day


# -- load --------------------------------------------------------------------------------


def test_64_requests_over_a_limit_of_8_get_503_and_the_server_goes_on(
    tmp_path, data, catalogue, reference_day
):
    server = start(tmp_path, data, catalogue, "--max-concurrent", "8")
    try:
        held = hold_every_slot(server, 8)
        with ThreadPoolExecutor(64) as pool:
            answers = list(pool.map(
                lambda _: requests.get(server.url + DS, params=DAY, timeout=60), range(64)))
        for r in answers:
            assert_document(r, 503, "8 requests, its limit")
            assert r.headers["retry-after"] == "1"
        # The eight held requests finish with their data; then every request is served.
        for s in held:
            assert finish(s) == (200, reference_day)
        with ThreadPoolExecutor(8) as pool:
            after = list(pool.map(
                lambda _: requests.get(server.url + DS, params=DAY, timeout=60), range(8)))
        assert all(r.status_code == 200 and r.content == reference_day for r in after)
        still_serving(server)
    finally:
        assert server.stop() == 0


def test_request_over_the_time_limit_is_503(tmp_path, data, catalogue):
    server = start(tmp_path, data, catalogue, "--timeout", "1")
    try:
        s = hold(server)  # the body never ends: the request runs out of time
        s.settimeout(60)
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
        s.close()
        assert raw.startswith(b"HTTP/1.1 503"), raw[:200]
        assert b"Error 503: Service Unavailable" in raw
        assert b"took more than 1 s" in raw
        still_serving(server)
    finally:
        assert server.stop() == 0


# -- shutdown ----------------------------------------------------------------------------


def test_sigterm_lets_requests_in_progress_finish(tmp_path, data, catalogue, reference_day):
    server = start(tmp_path, data, catalogue, "--max-concurrent", "3")
    in_progress = hold_every_slot(server, 3)
    os.kill(server.proc.pid, signal.SIGTERM)
    # No new connection is accepted once the signal is handled...
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
        except (ConnectionRefusedError, ConnectionResetError):
            break
        time.sleep(0.05)
    else:
        pytest.fail("still accepting connections after SIGTERM")
    # ...but the requests in progress get their whole answer, then the server exits 0.
    assert server.alive()
    for s in in_progress:
        assert finish(s) == (200, reference_day)
    assert server.proc.wait(timeout=60) == 0
    server.stop()
    assert "stopped" in server.log_path.read_text()


def test_a_second_sigterm_stops_at_once(tmp_path, data, catalogue):
    """A request that never ends (its body never comes) holds the first SIGTERM's graceful
    stop; a second SIGTERM closes it and the server exits 0."""
    server = start(tmp_path, data, catalogue, "--max-concurrent", "2")
    in_progress = hold_every_slot(server, 2)
    os.kill(server.proc.pid, signal.SIGTERM)
    for _ in range(600):
        if "waiting for those open" in server.log_path.read_text():
            break
        time.sleep(0.05)
    else:
        pytest.fail("the first SIGTERM was not handled")
    time.sleep(0.5)
    assert server.alive()  # still waiting for the two requests in progress
    os.kill(server.proc.pid, signal.SIGTERM)
    assert server.proc.wait(timeout=10) == 0
    for s in in_progress:
        s.settimeout(10)
        try:
            assert s.recv(65536) == b""  # closed without an answer
        except ConnectionResetError:
            pass
        s.close()
    server.stop()
    log = server.log_path.read_text()
    # The two held requests, and perhaps a probe's connection not yet seen closed.
    assert int(re.search(r"connections=(\d+)", log).group(1)) >= 2
    assert "second signal: stopping now" in log


# -- authentication and restricted streams -----------------------------------------------


def test_queryauth_with_obspy_and_restricted_streams(
    tmp_path, data, catalogue, htdigest, reference_day
):
    from obspy import UTCDateTime
    from obspy.clients.fdsn import Client
    from obspy.clients.fdsn.header import FDSNNoDataException, FDSNException

    server = start(tmp_path, data, catalogue, "--credentials", str(htdigest),
                   "--restricted", "IU.*.*.*")
    try:
        t1, t2 = UTCDateTime(DAY["start"]), UTCDateTime(DAY["end"])
        anonymous = Client(server.url, _discover_services=False)
        with pytest.raises(FDSNNoDataException):
            anonymous.get_waveforms("IU", "COLA", "00", "BHZ", t1, t2)
        alice = Client(server.url, user="alice", password="open sesame",
                       _discover_services=False)
        st = alice.get_waveforms("IU", "COLA", "00", "BHZ", t1, t2)
        assert {tr.id for tr in st} == {"IU.COLA.00.BHZ"}
        # Byte for byte what the unrestricted server answers to `query`.
        r = requests.get(server.url + DS.replace("query", "queryauth"), params=DAY,
                         auth=requests.auth.HTTPDigestAuth("alice", "open sesame"), timeout=60)
        assert r.status_code == 200 and r.content == reference_day
        # A wrong password or no credentials: 401 with the challenge.
        r = requests.get(server.url + DS.replace("query", "queryauth"), params=DAY,
                         auth=requests.auth.HTTPDigestAuth("alice", "guess"), timeout=60)
        assert_document(r, 401, "wrong user name or password")
        assert r.headers["www-authenticate"].startswith('Digest realm="FDSN", qop="auth"')
        with pytest.raises(FDSNException):
            Client(server.url, user="alice", password="guess",
                   _discover_services=False).get_waveforms("IU", "COLA", "00", "BHZ", t1, t2)
        still_serving(server)
        assert log_lines(server, "user=alice") and log_lines(server, "status=401")
    finally:
        assert server.stop() == 0


def test_queryauth_without_a_credentials_file_is_refused(sds_small_server):
    r = requests.get(sds_small_server.url + "/fdsnws/dataselect/1/queryauth", params=DAY,
                     auth=requests.auth.HTTPDigestAuth("alice", "open sesame"), timeout=30)
    assert_document(r, 401, "no credentials are configured")
    still_serving(sds_small_server)


# -- configuration -----------------------------------------------------------------------


def write_config(path, data, catalogue, serve_table: str):
    path.write_text(
        f'[archive]\npath = "{data / "sds-small"}"\n\n[catalogue]\nurl = "{catalogue}"\n\n'
        f'[streams]\nselect = ["*"]\n\n[serve]\n{serve_table}'
    )
    return path


def test_serve_table_of_the_configuration(tmp_path, data, catalogue, reference_day):
    config = write_config(tmp_path / "siqaco.toml", data, catalogue,
                          'restricted = ["IU.COLA.*.*"]\nmax_post_lines = 5\n')
    server = Server(["--config", str(config)], tmp_path / "serve.log")
    try:
        # The configuration's catalogue and archive; its restricted streams and limits.
        assert requests.get(server.url + DS, params=DAY, timeout=60).status_code == 204
        r = requests.post(server.url + DS, data=LINE * 6, timeout=60)
        assert_document(r, 413, "more than 5 selection lines")
        still_serving(server)
    finally:
        assert server.stop() == 0
    # A flag overrides its key.
    server = Server(["--config", str(config), "--restricted", "XX.*.*.*"],
                    tmp_path / "serve2.log")
    try:
        r = requests.get(server.url + DS, params=DAY, timeout=60)
        assert r.status_code == 200 and r.content == reference_day
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize(
    "args, said",
    [
        (["--max-concurrent", "0"], "--max-concurrent: 0 is not between 1 and 100000"),
        (["--timeout=-1"], "--timeout: -1 is not a number of seconds"),
        (["--realm", "a:b"], "--realm: "),
        (["--credentials", "/nonexistent/htdigest"], "/nonexistent/htdigest"),
    ],
)
def test_refused_flags_are_named(catalogue, args, said):
    p = subprocess.run([siqaco_bin(), "serve", "--catalogue", str(catalogue), *args,
                        "--bind", "127.0.0.1:0"], capture_output=True, text=True, timeout=60)
    assert p.returncode in (1, 2), p.stderr
    assert said in p.stderr, p.stderr


def test_a_file_that_is_not_a_catalogue_is_refused_at_start(tmp_path):
    """The server checks its catalogue before it listens: a text file, an empty SQLite
    database (no tsindex table) and a missing file each end it with status 1 naming the
    file, and nothing is created."""
    import sqlite3

    text = tmp_path / "notes.txt"
    text.write_text("not a catalogue\n")
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    missing = tmp_path / "missing.sqlite"
    for target, said in [(text, "file is not a database"), (empty, "no tsindex table"),
                         (missing, "no such file")]:
        p = subprocess.run([siqaco_bin(), "serve", "--catalogue", str(target),
                            "--bind", "127.0.0.1:0"], capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 1, (target, p.stderr)
        assert str(target) in p.stderr and said in p.stderr, p.stderr
    assert not missing.exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["empty.sqlite", "notes.txt"]


def test_refused_serve_keys_are_named(tmp_path, data, catalogue):
    config = write_config(tmp_path / "siqaco.toml", data, catalogue, "max_concurrent = 0\n")
    p = subprocess.run([siqaco_bin(), "serve", "--config", str(config)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert "serve.max_concurrent: 0 is not between 1 and 100000" in p.stderr
    config.write_text(config.read_text().replace("max_concurrent = 0", "port = 80"))
    p = subprocess.run([siqaco_bin(), "serve", "--config", str(config)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "serve.port: unknown field `port`" in p.stderr, p.stderr


def log_lines(server: Server, word: str) -> list[str]:
    """The access log lines of `server` holding `word`, waited for (a line is written when
    its response's body is dropped, just after the client has it)."""
    for _ in range(200):
        lines = [l for l in server.log_path.read_text().splitlines()
                 if "siqaco_serve::access" in l and word in l]
        if lines:
            return lines
        time.sleep(0.05)
    return []


def test_access_log_has_one_line_per_request(sds_small_server):
    marker = f"marker{time.time_ns()}"
    r = requests.get(sds_small_server.url + f"/nothing/{marker}", timeout=30)
    lines = log_lines(sds_small_server, marker)
    assert len(lines) == 1, lines
    line = lines[0]
    for field in ["siqaco_serve::access", "remote=127.0.0.1:", "method=GET",
                  f"target=/nothing/{marker}", "status=404", "bytes=", "duration_ms=", "user=-"]:
        assert field in line, (field, line)
    assert int(line.split("bytes=")[1].split()[0]) == len(r.content)
