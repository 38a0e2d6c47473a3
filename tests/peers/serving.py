"""A real `siqaco serve` on 127.0.0.1 for the server tests: started on a free port, waited
for, and stopped by its process id (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from conftest import ROOT, siqaco_bin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`siqaco serve ARGS --bind 127.0.0.1:PORT`, its log in `log_path`."""

    def __init__(self, args: list[str], log_path: Path, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "wb")
        full_env = dict(os.environ, SIQACO_LOG=os.environ.get("SIQACO_LOG", "info"))
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [siqaco_bin(), "serve", *args, "--bind", f"127.0.0.1:{self.port}"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=full_env,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"siqaco serve exited with {self.proc.returncode}: {log_path.read_text()}"
                )
            try:
                with urllib.request.urlopen(self.url + "/fdsnws/dataselect/1/version", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"siqaco serve did not answer: {log_path.read_text()}")
                time.sleep(0.1)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def index(root: Path, catalogue: Path) -> None:
    """`siqaco index ROOT --db CATALOGUE`."""
    subprocess.run(
        [siqaco_bin(), "index", str(root), "--db", str(catalogue)],
        check=True,
        capture_output=True,
    )


def fdsnws_bin() -> Path:
    """portable-fdsnws-dataselect: `.venv-fdsnws` (made by `scripts/bootstrap`), or the
    executable named by `SIQACO_FDSNWS_BIN`."""
    return Path(os.environ.get(
        "SIQACO_FDSNWS_BIN", ROOT / ".venv-fdsnws" / "bin" / "portable-fdsnws-dataselect"))


@contextlib.contextmanager
def portable_fdsnws(db: Path, workdir: Path, build_summary: bool = False):
    """portable-fdsnws-dataselect serving the tsindex catalogue `db` on a free 127.0.0.1
    port (its configuration and log in `workdir`; `build_summary`: run its `-i` first to
    write `tsindex_summary`); yields `http://127.0.0.1:PORT`, then stops it."""
    exe = fdsnws_bin()
    port = free_port()
    ini = workdir / "server.ini"
    ini.write_text(
        f"[index_db]\npath = {db}\ntable = tsindex\nsummary_table = tsindex_summary\n"
        f"[server]\ninterface = 127.0.0.1\nport = {port}\nmaxsectiondays = 10\n"
        f"[logging]\npath = {workdir / 'dataselect.log'}\nlevel = INFO\n")
    if build_summary:
        subprocess.run([str(exe), "-i", str(ini)], cwd=workdir, check=True, capture_output=True)
    proc = subprocess.Popen([str(exe), str(ini)], cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.monotonic()
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "portable-fdsnws-dataselect exited"
                assert time.monotonic() - t0 < 60, f"server not listening on port {port}"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
