"""moto's S3 server (`moto_server`, PyPI `moto[server]`) on 127.0.0.1 for the object-storage
tests (tests/peers/test_objectstore.py, siqaco-py/tests/test_objectstore.py): started on a
free port, stopped by its process id; and a proxy in front of it that counts the requests
and can answer errors in the server's place (moto cannot throttle)."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

BUCKET = "siqaco-test"


def moto_server_bin() -> str | None:
    """`moto_server`: $SIQACO_MOTO_SERVER, on PATH, or beside the test's Python."""
    candidates = [
        os.environ.get("SIQACO_MOTO_SERVER"),
        shutil.which("moto_server"),
        str(Path(sys.executable).parent / "moto_server"),
    ]
    return next((c for c in candidates if c and Path(c).exists()), None)


class Moto:
    """`moto_server -H 127.0.0.1 -p PORT`, stopped by its process id."""

    def __init__(self, exe: str, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "wb")
        self.proc = subprocess.Popen(
            [exe, "-H", "127.0.0.1", "-p", str(self.port)], stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto_server did not start: {log.read_text()}")
                time.sleep(0.2)

    # moto lets only signed requests at objects that are not public; it does not check
    # the signature itself
    AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"

    def request(self, method: str, path: str, body: bytes = b"", public: bool = False) -> int:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": self.AUTH}
        if public:
            headers["x-amz-acl"] = "public-read"
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        self.last = r.read()
        c.close()
        return r.status

    def put(self, key: str, body: bytes, public: bool = False) -> None:
        assert self.request("PUT", f"/{BUCKET}/{key}", body, public) == 200, (key, self.last)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def access_key_id(authorization: str | None) -> str | None:
    """The access key id of an AWS Signature Version 4 `Authorization` header
    (`AWS4-HMAC-SHA256 Credential=KEYID/date/region/s3/aws4_request, ...`)."""
    if not authorization or "Credential=" not in authorization:
        return None
    return authorization.split("Credential=", 1)[1].split("/", 1)[0]


class Proxy:
    """Forwards requests to the server; counts them; answers `fail = (status, code, n)`
    instead of the server for the next n requests (n < 0: all of them); with
    `require_key` set, answers 403 InvalidAccessKeyId to a request not signed with that
    access key id (moto does not check credentials)."""

    def __init__(self, upstream_port: int):
        self.requests: list[tuple[str, str]] = []
        self.signed: list[bool] = []  # whether each request carried a signature
        # (path, If-Match, If-None-Match) of each PUT: the conditions of conditional writes
        self.put_conditions: list[tuple[str, str | None, str | None]] = []
        self.fail: tuple[int, str, int] | None = None
        self.require_key: str | None = None
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with proxy.lock:
                    proxy.requests.append((self.command, self.path))
                    proxy.signed.append("Authorization" in self.headers)
                    if self.command == "PUT":
                        proxy.put_conditions.append(
                            (self.path, self.headers.get("If-Match"), self.headers.get("If-None-Match"))
                        )
                    fail = proxy.fail
                    if fail and fail[2] != 0:
                        proxy.fail = (fail[0], fail[1], fail[2] - 1)
                    else:
                        fail = None
                    key = proxy.require_key
                if fail is None and key is not None and access_key_id(self.headers.get("Authorization")) != key:
                    fail = (403, "InvalidAccessKeyId", 0)
                if fail:
                    msg = f"<Error><Code>{fail[1]}</Code><Message>test proxy</Message></Error>".encode()
                    self.send_response(fail[0])
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                c = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                c.request(self.command, self.path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                c.close()

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = handle_one

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def take(self) -> list[tuple[str, str]]:
        with self.lock:
            r, self.requests, self.signed = self.requests, [], []
        return r

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def env_for(proxy: Proxy, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=proxy.url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION="us-east-1",
        SIQACO_S3_RETRIES="3",
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """(Moto, Proxy): the server with the bucket `BUCKET` (public-read), and the proxy
    the programs under test are pointed at."""
    exe = moto_server_bin()
    if exe is None:
        pytest.fail("moto_server not found (scripts/bootstrap installs moto[server] into .venv; "
                    "or set SIQACO_MOTO_SERVER)")
    moto = Moto(exe, tmp_path_factory.mktemp("moto") / "moto.log")
    proxy = Proxy(moto.port)
    try:
        assert moto.request("PUT", f"/{BUCKET}", public=True) == 200
        yield moto, proxy
    finally:
        proxy.stop()
        moto.stop()
