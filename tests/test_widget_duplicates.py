"""The widget asks for one hit per story (collapse=duplicates) and says "+N similar" as plain
text; collapse="none" turns it off. Real gunicorn, real Chromium (tests/test_widget.py's tab)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support import DEMO_DIR, Server, build_index, start_gunicorn
from tests.test_widget import browser, dialogs, open_widget, page, pytestmark, search_box  # noqa: F401 (fixtures)
from tests.widget_support import HostPages, host_page

ORIGINAL = json.loads((DEMO_DIR / "articles.jsonl").read_text("utf-8").splitlines()[0])
# Two wire rewrites of the first demo article; the title carries markup that must stay text.
COPIES = [
    {**ORIGINAL, "id": f"wire-{n}", "url": None, "title": f"{ORIGINAL['title']} <b>update {n}</b>", "published": (datetime.fromisoformat(ORIGINAL["published"]) + timedelta(hours=n)).isoformat()}
    for n in (1, 2)
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("widget-dedup")
    copies = folder / "copies.jsonl"
    copies.write_text("".join(json.dumps({k: v for k, v in c.items() if v is not None}) + "\n" for c in COPIES), "utf-8")
    build_index([DEMO_DIR, copies], folder / "index")
    server = start_gunicorn(folder / "index")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def host(api: Server) -> Iterator[HostPages]:
    with HostPages() as pages:
        pages.add("/plain.html", host_page(api.url, 'per-page="20"'))
        pages.add("/all.html", host_page(api.url, 'per-page="20" collapse="none"'))
        yield pages


def test_a_story_shows_once_with_its_similar_count(page: Page, host: HostPages) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if "/api/search?" in request.url else None)
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("Calder Narrows plan unveiled")
    search_box(page).press("Enter")
    newest = page.locator("news-search .hit", has_text="update 2")
    expect(newest.locator(".similar")).to_have_text("+2 similar")
    expect(page.locator("news-search .hit", has_text="update 1")).to_have_count(0)
    expect(page.locator("news-search .hit .title", has_text=ORIGINAL["title"])).to_have_count(1)  # only the newest copy's title
    assert "<b>update 2</b>" in newest.locator(".title").inner_text()  # markup in a title stays text
    assert requests and all("collapse=duplicates" in url for url in requests)


def test_collapse_none_shows_every_copy(page: Page, host: HostPages) -> None:
    open_widget(page, f"{host.url}/all.html")
    search_box(page).fill("Calder Narrows plan unveiled")
    search_box(page).press("Enter")
    expect(page.locator("news-search .hit", has_text="update 1")).to_have_count(1)
    expect(page.locator("news-search .hit", has_text="update 2")).to_have_count(1)
    expect(page.locator("news-search .hit .similar")).to_have_count(0)
