"""Real processes for replication and cluster tests: `searchsvc follow`, redis-server, nginx."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO_ROOT, free_port

REPLICATION_KEY = "replication-key-5d1e"
NGINX_TEMPLATE = REPO_ROOT / "deploy" / "nginx.conf"


def wait_for(what: str, condition: Callable[[], Any], timeout: float = 60.0, explain: Callable[[], str] | None = None) -> Any:
    """Poll ``condition`` until it returns something true; fail naming ``what`` after ``timeout``
    (a bound for a broken build, not a speed expectation), with what ``explain`` tells (a log:
    CI keeps no temporary files)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f"\n{explain()}" if explain else ""))
        time.sleep(0.02)


def stop(process: subprocess.Popen[Any] | None, sig: int = signal.SIGTERM) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def follow(primary_url: str, index_dir: Path, *extra: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    """``searchsvc follow`` in a subprocess (``--once`` among ``extra`` for one sync)."""
    env = {**os.environ, "SEARCHSVC_REPLICATION_KEY": REPLICATION_KEY}
    if log:
        log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "searchsvc", "follow", primary_url, "--index-dir", str(index_dir), *extra],
                            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def follow_once(primary_url: str, index_dir: Path) -> None:
    process = follow(primary_url, index_dir, "--once")
    assert process.wait(timeout=120) == 0


def require_binary(name: str) -> str:
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None)
    if path is None:
        pytest.skip(f"{name} is not installed (scripts/test installs it from Debian)")
    return path


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Redis:
    """redis-server on a free loopback port, nothing persisted."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [require_binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for("redis-server to listen", lambda: port_open(self.port))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop(self.process)


class Nginx:
    """nginx in the foreground, from deploy/nginx.conf with this test's ports filled in."""

    def __init__(self, folder: Path, primary: str, replicas: list[str], extra: dict[str, str] | None = None) -> None:
        self.port = free_port()
        (folder / "tmp").mkdir(parents=True, exist_ok=True)  # nginx makes its temporary folders in it
        self.replication_port = free_port()
        values = {"LISTEN": f"127.0.0.1:{self.port}", "PRIMARY": primary, "REPLICATION_LISTEN": f"127.0.0.1:{self.replication_port}",
                  "REPLICATION_RATE": "0",
                  "REPLICAS": "\n".join(f"    server {address} max_fails=1 fail_timeout=5s;" for address in replicas),
                  **(extra or {})}
        text = NGINX_TEMPLATE.read_text("utf-8")
        for name, value in values.items():
            text = text.replace("{{" + name + "}}", value)
        self.config = folder / "nginx.conf"
        self.config.write_text(text, "utf-8")
        self.process = subprocess.Popen([require_binary("nginx"), "-p", str(folder), "-c", str(self.config), "-e", str(folder / "error.log"),
                                         "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for("nginx to listen", lambda: self.process.poll() is not None or port_open(self.port))
        assert self.process.poll() is None, (folder / "error.log").read_text("utf-8", "replace")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def replication_url(self) -> str:
        return f"http://127.0.0.1:{self.replication_port}"

    def stop(self) -> None:
        stop(self.process, signal.SIGQUIT)
