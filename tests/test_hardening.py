"""A public search box is an open door: expensive queries, floods, oversized requests, and
whether operators can see what happens. Against real gunicorns with two workers."""

from __future__ import annotations

import http.client
import json
import re
import socket
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bench.expensive import EXPENSIVE
from tests.support import DEMO_DIR, Server, build_index, get_json

API_KEY = "hardening-test-key"


def search_url(server: Server, params: dict[str, Any]) -> str:
    return f"{server.url}/api/search?{urllib.parse.urlencode(params, doseq=True)}"


def request(server: Server, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    """One request on a fresh connection: (status, headers, parsed JSON body)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read() or b"null")
    finally:
        connection.close()


def access_log(server: Server) -> list[dict[str, Any]]:
    lines = Path(server.log.name).read_text("utf-8", "replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{") and '"request_id"' in line]


def assert_envelope(body: Any, status: int, code: str) -> None:
    assert set(body) == {"status", "code", "message", "parameter"}, body
    assert body["status"] == status and body["code"] == code and body["message"], body


@pytest.fixture(scope="module")
def reuters_server(reuters_index: Path) -> Iterator[Server]:
    with Server(reuters_index, workers=2) as server:
        for _ in range(4):  # both workers have opened the index
            get_json(search_url(server, {"q": "oil"}))
        yield server


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("hardening") / "index"
    build_index([DEMO_DIR], index_dir)
    return index_dir


@pytest.fixture(scope="module")
def open_server(demo_copy: Path) -> Iterator[Server]:
    with Server(demo_copy, workers=2, env={"SEARCHSVC_API_KEYS": API_KEY}) as server:
        yield server


@pytest.fixture(scope="module")
def strict_server(demo_copy: Path) -> Iterator[Server]:
    env = {
        "SEARCHSVC_RATE_LIMIT_READ": "5/minute",
        "SEARCHSVC_RATE_LIMIT_WRITE": "2/minute",
        "SEARCHSVC_MAX_BODY_BYTES": "1000",
        "SEARCHSVC_MAX_QUERY_STRING": "300",
    }
    with Server(demo_copy, workers=2, env=env) as server:
        yield server


@pytest.mark.shared
@pytest.mark.parametrize("name", EXPENSIVE)
def test_expensive_queries_are_answered_within_the_budget_or_refused(reuters_server: Server, name: str) -> None:
    """Answered (partial when the time budget ran out) or refused with a clear 400, never a
    500. How long they take is bench/expensive.py's to measure, not a test's."""
    status, body = get_json(search_url(reuters_server, EXPENSIVE[name]), timeout=120)
    if status == 200:
        assert isinstance(body["partial"], bool) and body["total"] >= len(body["hits"])
    else:
        assert status == 400 and body["parameter"] in ("q", "page"), body
        assert body["code"] in ("query_too_broad", "query_too_long", "invalid_parameter"), body


@pytest.mark.shared
def test_a_search_that_runs_out_of_time_says_partial(reuters_server: Server) -> None:
    status, body = get_json(search_url(reuters_server, EXPENSIVE["phrase of one word 32 times"]), timeout=30)
    assert status == 200 and body["partial"] is True


def test_rate_limit_is_shared_by_the_workers_and_ignores_forwarded_for(strict_server: Server) -> None:
    def one(i: int) -> tuple[int, dict[str, str], Any]:
        # A different X-Forwarded-For each time: not trusted by default, so no fresh identity.
        return request(strict_server, "GET", f"/api/search?q=harbor{i}", headers={"X-Forwarded-For": f"10.0.0.{i % 250}"})

    answers: list[tuple[int, dict[str, str], Any]] = []
    with ThreadPoolExecutor(4) as pool:
        while len(answers) < 200 and len(answering_workers(strict_server)) < 2:  # until both workers took part
            # On a quiet machine one worker can win every accept; a request left unfinished
            # holds whichever worker takes it, so the other answers the next ones.
            with socket.create_connection(("127.0.0.1", strict_server.port)) as unfinished:
                unfinished.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                answers += pool.map(one, range(len(answers), len(answers) + 12))
    assert len(answering_workers(strict_server)) == 2
    # Counted per fixed window: a loaded machine can cross a minute's boundary mid-test, so
    # each window's answers are checked on their own (per-worker counters: up to 10 in one).
    windows: dict[str, list[int]] = {}
    for status, headers, _ in answers:
        windows.setdefault(headers["X-RateLimit-Reset"], []).append(status)
    assert all(set(statuses) <= {200, 429} and statuses.count(200) <= 5 for statuses in windows.values()), windows
    assert any(statuses.count(200) == 5 and 429 in statuses for statuses in windows.values()), windows
    status, headers, body = next(a for a in answers if a[0] == 429)
    assert_envelope(body, 429, "rate_limited")
    assert 1 <= int(headers["Retry-After"]) <= 60


def answering_workers(server: Server) -> set[int]:
    return {line["pid"] for line in access_log(server) if line["route"] == "/api/search"}


def test_writes_have_their_own_limit(strict_server: Server) -> None:
    statuses = [request(strict_server, "DELETE", f"/api/articles/a{i}")[0] for i in range(3)]
    assert statuses[:2] in ([401, 401], [403, 403]) and statuses[2] == 429  # counted before the key is checked


def test_health_and_metrics_are_not_rate_limited(strict_server: Server) -> None:
    for _ in range(8):
        assert get_json(strict_server.url + "/healthz")[0] == 200
        with urllib.request.urlopen(strict_server.url + "/metrics") as response:
            assert response.status == 200


def test_oversized_body_is_413_in_the_envelope(strict_server: Server) -> None:
    status, _, body = request(strict_server, "POST", "/api/articles", body=b"[" + b" " * 2000 + b"]", headers={"Content-Type": "application/json"})
    assert status == 413
    assert_envelope(body, 413, "payload_too_large")
    assert "1000" in body["message"]


def test_long_query_strings_are_414_in_the_envelope(strict_server: Server) -> None:
    status, _, body = request(strict_server, "GET", "/healthz?pad=" + "x" * 400)
    assert_envelope(body, 414, "uri_too_long")
    status, _, body = request(strict_server, "GET", "/healthz?pad=" + "x" * 9000)  # refused by gunicorn itself
    assert status == 414
    assert_envelope(body, 414, "uri_too_long")


def test_unknown_path_and_wrong_method_use_the_envelope(open_server: Server) -> None:
    status, _, body = request(open_server, "GET", "/no/such/page")
    assert status == 404
    assert_envelope(body, 404, "not_found")
    status, headers, body = request(open_server, "PATCH", "/api/search")
    assert status == 405 and "GET" in headers["Allow"]
    assert_envelope(body, 405, "method_not_allowed")


def test_metrics_sum_all_workers(open_server: Server) -> None:
    with urllib.request.urlopen(open_server.url + "/metrics") as response:
        before = response.read().decode()
    sent = 0
    while sent < 200 and (sent < 12 or len(answering_workers(open_server)) < 2):  # until both workers took part
        status, _, body = request(open_server, "GET", f"/api/search?q=zzqxnothing{sent}")
        assert status == 200 and body["total"] == 0
        sent += 1
    assert len(answering_workers(open_server)) == 2
    counters = (
        "searchsvc_zero_result_searches_total",
        'searchsvc_http_requests_total{method="GET",route="/api/search",status="200"}',
        'searchsvc_http_request_duration_seconds_count{method="GET",route="/api/search"}',
    )
    expected = {name: metric(before, name) + sent for name in counters}
    for _ in range(4):  # whichever worker answers the scrape, the figures are the same
        with urllib.request.urlopen(open_server.url + "/metrics") as response:
            assert response.headers["Content-Type"].startswith("text/plain")
            text = response.read().decode()
        assert {name: metric(text, name) for name in counters} == expected
        assert metric(text, "searchsvc_index_articles") == 74
        assert re.search(r'^searchsvc_index_generation_info\{generation="[^"]+"\} 1\.0$', text, re.M)


def metric(text: str, name: str) -> float:
    """A sample's value; 0 when the series has not been seen yet (as Prometheus treats it)."""
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_access_log_is_json_with_route_templates_and_never_keys(open_server: Server) -> None:
    secret = "Bearer not-the-key-s3cr3t"
    refused, headers, _ = request(
        open_server, "DELETE", "/api/articles/some-article", headers={"Authorization": secret, "X-Request-ID": "trace-42"}
    )
    assert refused in (401, 403) and headers["X-Request-ID"] == "trace-42"
    status, headers, _ = request(open_server, "GET", "/api/search?q=harbor", headers={"X-Request-ID": "bad id with spaces"})
    assert status == 200 and re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])

    log = access_log(open_server)
    deleted = next(line for line in log if line["request_id"] == "trace-42")
    assert deleted["method"] == "DELETE" and deleted["route"] == "/api/articles/<string:article_id>"
    assert deleted["status"] == refused and isinstance(deleted["latency_ms"], float)
    searched = next(line for line in log if line["request_id"] == headers["X-Request-ID"])
    assert searched["route"] == "/api/search" and searched["results"] > 0
    assert {"time", "request_id", "method", "route", "status", "latency_ms", "results", "client", "pid"} <= set(searched)
    assert "s3cr3t" not in Path(open_server.log.name).read_text("utf-8", "replace")
