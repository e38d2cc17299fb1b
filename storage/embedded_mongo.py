"""The embedded MongoDB-compatible server (SecantusDB) in a child process.

In-process, its wire-protocol handling is Python sharing the service's GIL: every database call then
competes with the turns and the webhooks for one core. As a child process it gets its own interpreter (the
second core), and it dies with the service (PR_SET_PDEATHSIG), so a killed service never leaves a server
holding the data directory's lock.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from storage.mongo import EMBEDDED_NOT_INSTALLED, StorageUnavailable, embedded_uri_options

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
START_TIMEOUT_S = 60.0


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the parent dies, however the parent died."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedMongoProcess:
    """Same interface as `storage.mongo.EmbeddedMongo`: `start()` returns the URI, `stop()` ends it."""

    def __init__(self, path: Path, port: int = 0) -> None:
        self._path = path
        self._port = port
        self._proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def supported() -> bool:
        return sys.platform.startswith("linux")

    def start(self) -> str:
        try:
            import secantus  # noqa: F401  (installed: the child can run it, with our fix)
        except ImportError as exc:
            raise StorageUnavailable(EMBEDDED_NOT_INSTALLED) from exc
        self._path.mkdir(parents=True, exist_ok=True)
        port = self._port or _free_port()
        command = [sys.executable, "-m", "storage.secantus_fixes", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--storage-path", str(self._path), "--log-level", "WARNING"]
        log_path = self._path.parent / f"{self._path.name}-server.log"  # a pipe nobody reads would fill and block it
        with log_path.open("ab") as server_log:
            self._proc = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=server_log, preexec_fn=_die_with_parent
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                error = log_path.read_text(errors="replace")[-500:]
                raise StorageUnavailable(f"the embedded database server exited at start: {error}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            self.stop()
            raise StorageUnavailable("the embedded database server did not start in time")
        log.info("embedded MongoDB-compatible server started on 127.0.0.1:%d (pid %d)", port, self._proc.pid)
        return f"mongodb://127.0.0.1:{port}/{embedded_uri_options()}"  # the server's default idle timeout

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log.warning("the embedded database server did not stop in 15 s: killed")
            self._proc.kill()
            self._proc.wait()
        self._proc = None
