"""Helpers that start real parts for tests: indexes on disk and gunicorn on 127.0.0.1."""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from searchsvc.indexer import ReindexReport, reindex
from searchsvc.store import IndexStore

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO_ROOT / "demo"
SHARED_DIR = REPO_ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is not there."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared test corpora at {path} (present in CI, absent in a fresh clone)")
    return path


def build_index(sources: list[Path], index_dir: Path) -> ReindexReport:
    return reindex(sources, IndexStore(index_dir))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, timeout: float = 10) -> tuple[int, Any]:
    """GET a URL; return (status, parsed JSON body) for success and error statuses alike."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


# Tests send far more requests than one reader would: rate limits are off unless a test sets them.
UNLIMITED = {"SEARCHSVC_RATE_LIMIT_READ": "off", "SEARCHSVC_RATE_LIMIT_WRITE": "off"}


@dataclass
class Server:
    """A real gunicorn serving ``wsgi:app`` on a free 127.0.0.1 port."""

    index_dir: Path
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        if self.process is not None and self.process.poll() is None:
            return self  # already running (start_gunicorn() used as a context manager)
        env = {**os.environ, "SEARCHSVC_INDEX_DIR": str(self.index_dir), **UNLIMITED, **self.env}
        command = [
            sys.executable, "-m", "gunicorn", "wsgi:app",
            "--config", str(REPO_ROOT / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
        ]
        self.log = open(self.index_dir.parent / f"gunicorn-{self.port}.log", "wb")
        # A process group of its own, so that kill() takes the workers down with the master.
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log.name}")
            try:
                get_json(self.url + "/healthz", timeout=1)
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()

    def kill(self) -> None:
        """kill -9 the master and its workers at once, as a crash of the node would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def tracebacks(self, limit: int = 6000) -> str:
        """The server log from its first traceback on, for assertion messages (CI keeps no
        temporary files, so a 500 would otherwise leave no cause behind)."""
        self.log.flush()
        text = Path(self.log.name).read_text("utf-8", errors="replace")
        start = text.find("Traceback")
        return text[max(0, text.rfind("\n", 0, max(0, start - 1))) :][:limit] if start >= 0 else ""  # with the line before

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_gunicorn(index_dir: Path, workers: int = 2, env: dict[str, str] | None = None) -> Server:
    return Server(index_dir, workers, env or {}).start()


# -- Reuters-21578 from its original SGML ------------------------------------------------------

_REUTERS = re.compile(r"<REUTERS[^>]*NEWID=\"(\d+)\"[^>]*>(.*?)</REUTERS>", re.S)
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}


def _tag(block: str, name: str) -> str | None:
    found = re.search(rf"<{name}>(.*?)</{name}>", block, re.S)
    return html.unescape(found.group(1)).strip() if found else None


def _reuters_date(text: str) -> datetime:
    """``26-FEB-1987 15:01:01.79``; some times are garbled, so the day is parsed first."""
    day, month, year = re.match(r"\s*(\d+)-([A-Z]{3})-(\d{4})", text).groups()  # type: ignore[union-attr]
    moment = datetime(int(year), _MONTHS[month], int(day), tzinfo=timezone.utc)
    clock = re.search(r"\s(\d{1,2}):(\d{2}):(\d{2})", text)
    if clock and int(clock.group(1)) < 24:
        moment = moment.replace(hour=int(clock.group(1)), minute=int(clock.group(2)), second=int(clock.group(3)))
    return moment


def reuters_articles() -> Iterator[dict[str, Any]]:
    """Reuters-21578 documents with a BODY, in our article fields (DATE → published,
    first TOPICS entry → section, else "general")."""
    folder = shared_path("corpora", "reuters21578")
    for file in sorted(folder.glob("reut2-*.sgm.gz")):
        text = gzip.open(file, "rb").read().decode("latin-1")
        for newid, block in _REUTERS.findall(text):
            body = _tag(block, "BODY")
            if not body:
                continue
            topics = re.findall(r"<D>(.*?)</D>", _tag(block, "TOPICS") or "")
            yield {
                "id": f"reuters-{newid}",
                "url": f"https://example.org/reuters/{newid}",
                "title": _tag(block, "TITLE") or f"Reuters {newid}",
                "body": body,
                "section": topics[0] if topics else "general",
                "published": _reuters_date(_tag(block, "DATE") or "").isoformat(),
            }


def synthetic_jsonl(path: Path, count: int, prefix: str = "syn") -> Path:
    """A larger corpus made from the demo articles (new ids), for rebuilds that take a while."""
    demo = [json.loads(line) for line in (DEMO_DIR / "articles.jsonl").read_text("utf-8").splitlines() if line.strip()]
    with open(path, "w", encoding="utf-8") as out:
        for number in range(count):
            record = dict(demo[number % len(demo)])
            record["id"] = f"{prefix}-{number}"
            record["url"] = f"https://harborgazette.example/{prefix}/{number}"
            out.write(json.dumps(record) + "\n")
    return path


def send(method: str, url: str, body: Any = None, key: str | None = None, content_type: str = "application/json") -> tuple[int, Any, dict[str, str]]:
    """An HTTP request with an optional JSON body and bearer key: (status, JSON body, headers)."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type})
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)
