"""The cluster, all real processes on 127.0.0.1: redis-server, a primary, two replicas (each a
gunicorn and a `searchsvc follow`), and nginx from deploy/nginx.conf in front.

Three threads search through nginx for the whole of every test and must see no failure
while writes, rebuilds, kills and restarts happen behind it. Every wait is for a state.
"""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from searchsvc.store import IndexStore
from tests.cluster_support import REPLICATION_KEY, Nginx, Redis, follow, stop, wait_for
from tests.support import DEMO_DIR, Server, build_index, synthetic_jsonl

WRITE_KEY = "cluster-write-key-93a0"
READ_LIMIT = 30  # per client per hour: the limit test's client only; traffic comes as many clients
WORDS = ["harbor", "bridge", "council", "storm", "school", "budget", "ferry", "festival", "rail", "water"]


def request(method: str, url: str, body: Any = None, client: str | None = None, key: str | None = None) -> tuple[int, Any]:
    """(status, parsed JSON) of one request; ``client``: the X-Forwarded-For of the proxies before it."""
    headers = {"Content-Type": "application/json"}
    if client:
        headers["X-Forwarded-For"] = client
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = None if body is None else json.dumps(body).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers), timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"null")
        except ValueError:
            return error.code, raw.decode("utf-8", "replace")


_clients = itertools.count()


def new_client() -> str:
    """A client address of its own for each request (benchmarking range, as a header only): the
    read limit is meant for the limit test's one client, not for the test's own checks."""
    n = next(_clients)
    return f"198.18.{n // 250 % 250}.{n % 250 + 1}"


def past_nginx(client: str) -> str:
    """The X-Forwarded-For a node gets from nginx for ``client`` (to send to a node directly)."""
    return f"{client}, 127.0.0.1"


@dataclass
class Node:
    server: Server
    follower: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start_follower(self, primary_url: str) -> None:
        self.follower = follow(primary_url, self.server.index_dir, "--interval", "0.1", "--max-backoff", "0.5", log=self.log)

    def kill(self) -> None:
        stop(self.follower, signal.SIGKILL)
        self.server.kill()

    def total(self, query: str) -> int | None:
        status, body = request("GET", f"{self.server.url}/api/search?q={query}", client=past_nginx(new_client()))
        return body["total"] if status == 200 else None


@dataclass
class Cluster:
    folder: Path
    redis: Redis
    primary: Node
    replicas: list[Node]
    nginx: Nginx
    failures: list[tuple[int, Any]] = field(default_factory=list)

    def everywhere(self, query: str, expected: int) -> bool:
        return all(node.total(query) == expected for node in self.replicas for _ in range(4))


def node_env(redis_url: str) -> dict[str, str]:
    """Every node's settings: shared limits in Redis, behind two proxies (an outer one and nginx)."""
    return {"SEARCHSVC_RATE_LIMIT_STORAGE": redis_url, "SEARCHSVC_RATE_LIMIT_READ": f"{READ_LIMIT}/hour",
            "SEARCHSVC_RATE_LIMIT_WRITE": "off", "SEARCHSVC_TRUSTED_PROXIES": "2"}


def _replica(folder: Path, primary_url: str, env: dict[str, str]) -> Node:
    (folder / "index").mkdir(parents=True)
    return Node(Server(folder / "index", workers=2, env={**env, "SEARCHSVC_PRIMARY_URL": primary_url}), log=folder / "follow.log")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    with ExitStack() as cleanup:
        redis = Redis(folder)
        cleanup.callback(redis.stop)
        build_index([DEMO_DIR], folder / "primary" / "index")
        env = node_env(redis.url)
        primary = Node(Server(folder / "primary" / "index", workers=2,
                              env={**env, "SEARCHSVC_API_KEYS": WRITE_KEY, "SEARCHSVC_REPLICATION_KEYS": REPLICATION_KEY}))
        cleanup.callback(lambda: primary.server.stop())
        primary.server.start()
        replicas = [_replica(folder / f"replica{n}", primary.server.url, env) for n in (1, 2)]
        for node in replicas:
            cleanup.callback(lambda node=node: (stop(node.follower), node.server.stop()))
            node.start_follower(primary.server.url)
            node.server.start()
        nginx = Nginx(folder / "nginx", f"127.0.0.1:{primary.server.port}", [f"127.0.0.1:{node.server.port}" for node in replicas])
        cleanup.callback(nginx.stop)
        wait_for("both replicas to serve", lambda: all(node.total("bridge") for node in replicas))
        yield Cluster(folder, redis, primary, replicas, nginx)


@contextmanager
def searching_through_nginx(cluster: Cluster) -> Iterator[Counter[int]]:
    """Three threads searching through nginx until the block ends; yields the status counts."""
    statuses: Counter[int] = Counter()
    done = threading.Event()
    pages = itertools.cycle((1, 2, 3))

    def search() -> None:
        for word in itertools.cycle(WORDS):
            if done.is_set():
                return
            status, body = request("GET", f"{cluster.nginx.url}/api/search?q={word}&page={next(pages)}", client=new_client())
            statuses[status] += 1
            if status != 200:
                cluster.failures.append((status, body))

    threads = [threading.Thread(target=search) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        yield statuses
    finally:
        done.set()
        for thread in threads:
            thread.join()
    print(f"through nginx: {sum(statuses.values())} searches, {sum(statuses.values()) - statuses[200]} failed")  # for the note (-s)
    assert statuses[200] > 0 and not cluster.failures, cluster.failures[:5]


def test_writes_become_visible_on_every_replica(cluster: Cluster) -> None:
    with searching_through_nginx(cluster):
        for n in range(50):
            word = f"walrus{n}"
            status, body = request("PUT", f"{cluster.nginx.url}/api/articles/w-{n}", key=WRITE_KEY,
                                   body={"title": f"A {word} sighting", "body": f"The {word} rested on the pier.", "section": "News"})
            assert status == 200, body
            wait_for(f"{word} on both replicas", lambda: cluster.everywhere(word, 1))


def test_the_rate_limit_holds_across_nodes(cluster: Cluster) -> None:
    nodes = [cluster.primary, *cluster.replicas]
    client = "198.51.100.7"
    answers = [request("GET", f"{node.server.url}/api/search?q=bridge", client=past_nginx(client))[0] for node in nodes for _ in range(READ_LIMIT // 3)]
    assert answers == [200] * (READ_LIMIT // 3 * 3)
    for node in nodes:
        status, body = request("GET", f"{node.server.url}/api/search?q=bridge", client=past_nginx(client))
        assert status == 429 and body["code"] == "rate_limited"
    status, body = request("GET", f"{cluster.nginx.url}/api/search?q=bridge", client=client)
    assert status == 429 and body["code"] == "rate_limited"


def test_a_full_rebuild_propagates(cluster: Cluster, tmp_path: Path) -> None:
    with searching_through_nginx(cluster):
        build_index([synthetic_jsonl(tmp_path / "more.jsonl", 300, prefix="rebuilt")], cluster.primary.server.index_dir)
        generation = IndexStore(cluster.primary.server.index_dir).current_name()
        wait_for("the new generation on both replicas", lambda: all(
            request("GET", f"{node.server.url}/healthz")[1].get("generation") == generation for node in cluster.replicas))
        assert cluster.everywhere("walrus1", 0)  # the rebuild's sources did not have them


def test_a_replica_killed_mid_transfer_catches_up_and_never_serves_a_torn_version(cluster: Cluster, tmp_path: Path) -> None:
    victim = cluster.replicas[0]
    primary = f"127.0.0.1:{cluster.primary.server.port}"
    throttled = Nginx(tmp_path / "throttle", primary, [primary], extra={"REPLICATION_RATE": "256k"})
    throttled_follower = None
    try:
        with searching_through_nginx(cluster):
            stop(victim.follower, signal.SIGKILL)
            build_index([synthetic_jsonl(tmp_path / "big.jsonl", 2_000, prefix="big")], cluster.primary.server.index_dir)
            # Started after the build, so that the whole transfer (~5 MB at 256 KB/s) is still
            # to come when the test looks for it: started before, it could end during the build.
            victim.follower = throttled_follower = follow(throttled.replication_url, victim.server.index_dir, "--interval", "0.1",
                                                          "--max-backoff", "0.5", log=tmp_path / "throttled-follow.log")
            incoming = victim.server.index_dir / "incoming"
            wait_for("a download under way", lambda: any(incoming.glob("*/.*.part")),
                     explain=lambda: (tmp_path / "throttled-follow.log").read_text("utf-8", "replace")[-3000:])
            victim.kill()  # its gunicorn and its follow, mid-transfer; nginx moves reads to the other replica
            before = IndexStore(victim.server.index_dir).current_name()
            assert before != IndexStore(cluster.primary.server.index_dir).current_name()
            victim.server.start()
            assert victim.total("bridge")  # the version it had, whole
            victim.start_follower(cluster.primary.server.url)
            generation = IndexStore(cluster.primary.server.index_dir).current_name()
            wait_for("the victim to catch up", lambda: request("GET", f"{victim.server.url}/healthz")[1].get("generation") == generation)
            assert victim.total("") == cluster.primary.total("") == 2_000
    finally:
        throttled.stop()
        # Whatever happened above, the next tests get the victim whole, following the primary.
        victim.server.start()
        if victim.follower is None or victim.follower.poll() is not None or victim.follower is throttled_follower:
            stop(victim.follower, signal.SIGKILL)
            victim.start_follower(cluster.primary.server.url)


def test_the_primary_down_reads_go_on_writes_get_json_errors_and_nothing_acknowledged_is_lost(cluster: Cluster) -> None:
    primary = cluster.primary.server
    with searching_through_nginx(cluster):
        for n in range(5):
            status, _ = request("PUT", f"{cluster.nginx.url}/api/articles/kept-{n}", key=WRITE_KEY,
                                body={"title": f"Kept {n}", "body": "The narwhal stays.", "section": "News"})
            assert status == 200
        primary.kill()  # acknowledged writes must survive even this
        status, body = request("PUT", f"{cluster.nginx.url}/api/articles/lost", key=WRITE_KEY,
                               body={"title": "Lost", "body": "Never acknowledged.", "section": "News"})
        assert status in (502, 503) and body["code"] in ("upstream_unavailable", "index_unavailable"), body
        # Serving their last version: each write was a version of its own, so a replica may
        # have installed any number of the five before the primary went down.
        assert all(node.total("narwhal") in range(6) for node in cluster.replicas)
        primary.start()
        wait_for("the writes on both replicas", lambda: cluster.everywhere("narwhal", 5))
        status, _ = request("PUT", f"{cluster.nginx.url}/api/articles/after", key=WRITE_KEY,
                            body={"title": "After", "body": "The orca returns.", "section": "News"})
        assert status == 200
        wait_for("a write after the restart on both replicas", lambda: cluster.everywhere("orca", 1))
    assert cluster.primary.total("narwhal") == 5
