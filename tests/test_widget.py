"""The <news-search> widget in Debian's chromium, against the real API under gunicorn.

The API (and widget.js) runs on one 127.0.0.1 port; the pages embedding the widget come from
another (tests/widget_support), so every request the widget makes is cross-origin, as on a
publisher's site. Expected results are fetched from the same API with urllib.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import feedparser
import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect, sync_playwright

from tests.support import DEMO_DIR, REPO_ROOT, Server, build_index, get_json, start_gunicorn
from tests.widget_support import HostPages, host_page
from tests.widget_support.axe import audit, blocking, describe, record

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium on PATH (apt-get install chromium); CI installs it"),
]

ARTIFACTS = REPO_ROOT / "test-artifacts"
WIDGET_JS = REPO_ROOT / "searchsvc" / "widget" / "widget.js"
MAX_GZIPPED_BYTES = 14_000  # what a reader downloads, issue 17's budget
PER_PAGE = 4
HOSTILE_MARKUP = ("<img src=x onerror=alert(1)>", "<script>alert(1)</script>")
HOSTILE_ARTICLE = {
    "id": "hostile-quokka",
    "url": "javascript:alert(document.domain)",
    "title": f"Quokka sighting {HOSTILE_MARKUP[0]} at the pier {HOSTILE_MARKUP[1]}",
    "body": f"The quokka story carries {HOSTILE_MARKUP[0]} and {HOSTILE_MARKUP[1]}, which must stay text.",
    "section": "News",
    "published": "2025-05-05T09:00:00+00:00",
}
LIMITED_SECTIONS = ("News", "Politics")
FRENCH_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
SERVICE_DOWN_MESSAGE = "Search is unavailable right now. Please try again shortly."
UNREACHABLE = "http://127.0.0.1:1"  # tcpmux's port: nothing listens, connections are refused at once

expect.set_options(timeout=8_000)


# ---- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def widget_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("widget")
    hostile = folder / "hostile.jsonl"
    hostile.write_text(json.dumps(HOSTILE_ARTICLE) + "\n", "utf-8")
    index_dir = folder / "index"
    build_index([DEMO_DIR, hostile], index_dir)
    return index_dir


@pytest.fixture(scope="module")
def api(widget_index: Path) -> Iterator[Server]:
    server = start_gunicorn(widget_index)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def host(api: Server) -> Iterator[HostPages]:
    with HostPages() as pages:
        pages.add("/plain.html", host_page(api.url, f'per-page="{PER_PAGE}"'))
        pages.add("/stateful.html", host_page(api.url, f'per-page="{PER_PAGE}" url-state'))
        pages.add("/french.html", host_page(api.url, f'per-page="{PER_PAGE}" lang="fr" theme="dark"'))
        pages.add("/limited.html", host_page(api.url, f'per-page="{PER_PAGE}" sections="{",".join(LIMITED_SECTIONS)}"'))
        pages.add("/archive.html", host_page(api.url, f'per-page="{PER_PAGE}" facets="author,tag"'))
        pages.add("/share.html", host_page(api.url, f'per-page="{PER_PAGE}" coverage="share"'))
        pages.add("/dark.html", host_page(api.url, f'per-page="{PER_PAGE}" theme="dark" facets="author,tag"'))
        pages.add("/unreachable.html", host_page(api.url).replace(f'endpoint="{api.url}"', f'endpoint="{UNREACHABLE}"'))
        yield pages


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture()
def dialogs() -> list[str]:
    return []


@pytest.fixture()
def page(browser: Browser, dialogs: list[str]) -> Iterator[Page]:
    """A fresh tab; any alert() or uncaught script error fails the test that caused it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert dialogs == [], f"the page opened dialogs: {dialogs}"
    assert errors == [], f"uncaught script errors: {errors}"


# ---- helpers ---------------------------------------------------------------------------------


def api_search(api: Server, typed: bool = True, **params: Any) -> dict[str, Any]:
    """What the API answers for the request the widget should be making: a query typed (not
    entered with Enter, nor restored from the URL) has its last word searched as a prefix."""
    prefix = {"prefix": "last"} if typed and params.get("q") else {}
    status, body = get_json(f"{api.url}/api/search?{urlencode({'per_page': PER_PAGE, **prefix, **params}, doseq=True)}")
    assert status == 200, body
    return body


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("customElements.get('news-search') !== undefined")


def search_box(page: Page) -> Locator:
    return page.locator("news-search input[role=combobox]")


def titles(page: Page) -> Locator:
    return page.locator("news-search #list .hit .title")


def status_line(page: Page) -> Locator:
    return page.locator("news-search [role=status]")


def expect_results(page: Page, expected: dict[str, Any]) -> None:
    """The widget shows the API's hits, in order, and announces the API's total."""
    expect(titles(page)).to_have_text([hit["title"] for hit in expected["hits"]])
    word = "result" if expected["total"] == 1 else "results"
    expect(status_line(page)).to_have_text(f"{expected['total']} {word}")
    expect(page.locator("news-search .root")).to_have_attribute("aria-busy", "false")


def section_facet(page: Page) -> dict[str, int]:
    labels = page.locator("news-search #sections label")
    return {
        labels.nth(i).locator(".name").text_content(): int(labels.nth(i).locator(".count").text_content().replace(",", ""))
        for i in range(labels.count())
    }


def focused_in_widget(page: Page) -> str:
    """The widget's focused element, as tag.class (the page's focus is the host element)."""
    return page.evaluate("(() => { const el = document.querySelector('news-search').shadowRoot.activeElement;"
                         " return el ? `${el.localName}.${el.className}` : ''; })()")


def arrow_down_to_first_result(page: Page) -> None:
    """Press ArrowDown in the box until focus moves to the first result's link: through the
    completions first, when the service offers some for the text."""
    for _ in range(8):
        page.keyboard.press("ArrowDown")
        if focused_in_widget(page) == "a.title":
            return
    pytest.fail("ArrowDown never reached the results")


# ---- tests -----------------------------------------------------------------------------------


def test_typing_shows_highlighted_results_in_an_aria_combobox(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).press_sequentially("harbor", delay=40)

    expected = api_search(api, q="harbor")
    assert expected["total"] > PER_PAGE
    expect_results(page, expected)
    marks = page.locator("news-search .hit mark").all_text_contents()
    assert marks and all(mark.lower().startswith("harbor") for mark in marks)
    # The combobox's listbox holds the completions only; the hits are a plain ordered list of
    # articles, each titled by a heading link (no interactive content inside an option).
    box = search_box(page)
    listbox = page.locator(f"news-search #{box.get_attribute('aria-controls')}")
    expect(listbox).to_have_attribute("role", "listbox")
    expect(listbox.locator(".hit, a")).to_have_count(0)
    expect(page.locator("news-search ol#list > li.hit > article > h3 > a.title")).to_have_count(PER_PAGE)
    expect(page.locator("news-search #list")).to_have_attribute("aria-label", "Search results")
    expect(page.locator("news-search [role=option] a, news-search [role=option] .hit")).to_have_count(0)
    first = expected["hits"][0]
    expect(titles(page).first).to_have_attribute("href", first["url"])
    expect(page.locator("news-search .hit .section").first).to_have_text(first["section"])


def test_last_query_wins_when_typing_fast(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/plain.html")
    is_harbor = lambda request: "q=harbor" in request.url  # noqa: E731
    harbor_ended: list[str] = []
    page.on("requestfinished", lambda request: is_harbor(request) and harbor_ended.append("finished"))
    page.on("requestfailed", lambda request: is_harbor(request) and harbor_ended.append("failed"))  # aborted
    with page.expect_request(is_harbor):  # the debounced "harbor" request is in flight
        search_box(page).fill("harbor")
    search_box(page).fill("bridge")
    expect_results(page, api_search(api, q="bridge"))
    deadline = time.monotonic() + 60
    while not harbor_ended:  # its answer (or abort) has come back: it must not replace bridge's
        assert time.monotonic() < deadline, "the harbor request never ended"
        page.wait_for_timeout(20)
    expect_results(page, api_search(api, q="bridge"))


def test_section_facet_narrows_and_counts_match_the_api(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("harbor")
    unfiltered = api_search(api, q="harbor")
    expect_results(page, unfiltered)
    assert section_facet(page) == {bucket["value"]: bucket["count"] for bucket in unfiltered["facets"]["section"]}

    chosen = unfiltered["facets"]["section"][0]["value"]
    page.locator(f"news-search #sections input[value='{chosen}']").check()
    narrowed = api_search(api, q="harbor", section=chosen)
    assert narrowed["total"] < unfiltered["total"]
    expect_results(page, narrowed)
    assert section_facet(page) == {bucket["value"]: bucket["count"] for bucket in narrowed["facets"]["section"]}
    assert set(page.locator("news-search .hit .section").all_text_contents()) == {chosen}
    chip = page.locator("news-search .chip", has_text=chosen)
    expect(chip).to_have_attribute("aria-label", f"Remove filter: {chosen}")

    chip.click()
    expect_results(page, unfiltered)


def test_date_facet_narrows_to_the_bucket(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("harbor")
    unfiltered = api_search(api, q="harbor")
    expect_results(page, unfiltered)
    bucket = max(unfiltered["facets"]["date"], key=lambda b: b["count"])
    assert bucket["count"] < unfiltered["total"]

    button = page.locator(f"news-search #dates button[data-from='{bucket['from']}']")
    button.click()
    narrowed = api_search(api, q="harbor", date_from=bucket["from"], date_to=bucket["to"])
    assert narrowed["total"] == bucket["count"]
    expect_results(page, narrowed)
    expect(button).to_have_attribute("aria-pressed", "true")
    for published in page.locator("news-search .hit time").evaluate_all("els => els.map(e => e.dateTime)"):
        assert bucket["from"] <= published[:10] <= bucket["to"]

    button.click()  # a second click lifts the date filter
    expect_results(page, unfiltered)


def test_more_results_appends_the_next_page(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("harbor")
    first = api_search(api, q="harbor")
    assert first["pages"] >= 2
    pages = [first] + [api_search(api, q="harbor", page=number) for number in range(2, first["pages"] + 1)]
    expect_results(page, first)

    more = page.locator("news-search #more")
    for loaded in range(2, len(pages) + 1):
        more.click()
        expect(titles(page)).to_have_text([hit["title"] for result in pages[:loaded] for hit in result["hits"]])
    expect(more).to_be_hidden()
    expect(status_line(page)).to_have_text(f"{first['total']} results")


def broken_image_errors_fired(page: Page) -> None:
    """Wait until a broken image of the test's own (``src=x``, the hostile markup's) has failed:
    by then the error event of any such image the results could hold has fired, and its
    ``onerror`` run (a state to wait for, not a pause)."""
    page.evaluate("() => new Promise(done => { const probe = new Image(); probe.onerror = probe.onload = done; probe.src = 'x'; })")


def test_hostile_article_renders_as_text(page: Page, host: HostPages, api: Server, dialogs: list[str]) -> None:
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("quokka")
    expected = api_search(api, q="quokka")
    assert [hit["id"] for hit in expected["hits"]] == [HOSTILE_ARTICLE["id"]]
    expect_results(page, expected)  # the title text is the raw title, markup and all
    broken_image_errors_fired(page)

    results = page.locator("news-search #list")
    assert all(markup in results.text_content() for markup in HOSTILE_MARKUP)
    expect(results.locator("img, script, iframe, [onerror]")).to_have_count(0)
    expect(results.locator("mark").first).to_be_visible()
    expect(results.locator("a")).to_have_count(0)  # a javascript: URL never becomes a link
    assert dialogs == []


def test_live_markup_in_highlights_is_stripped(page: Page, host: HostPages, api: Server, dialogs: list[str]) -> None:
    """Defense in depth: the real API's answer, tampered in transit so its *_html fields carry
    live markup (as a buggy or compromised service might), still renders only text and <mark>."""

    def tamper(route: Route) -> None:
        body = route.fetch().json()
        for hit in body["hits"]:
            hit["title_html"] = f'{hit["title_html"]}<img src=x onerror="alert(1)"><b>bold</b><script>alert(2)</script>'
            hit["snippet_html"] = f'<a href="javascript:alert(3)">link</a> {hit["snippet_html"]}<style>*{{display:none}}</style>'
        route.fulfill(json=body, headers={"Access-Control-Allow-Origin": "*"})

    page.route(f"{api.url}/api/search?*", tamper)
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("quokka")
    results = page.locator("news-search #list")
    expect(results.locator(".hit .title")).to_contain_text("bold")
    broken_image_errors_fired(page)
    expect(results.locator("img, script, style, b, .snippet a")).to_have_count(0)
    expect(results.locator(".snippet mark").first).to_have_text("quokka")
    assert dialogs == []


def test_keyboard_only_search_and_open(page: Page, host: HostPages, api: Server) -> None:
    expected = api_search(api, q="harbor")
    article_url = expected["hits"][0]["url"]
    opened: list[str] = []
    page.route("https://harborgazette.example/**", lambda route: (
        opened.append(route.request.url),
        route.fulfill(status=200, content_type="text/html", body="<title>Article</title>"),
    ))
    open_widget(page, f"{host.url}/plain.html")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.getAttribute('role')") == "combobox"
    page.keyboard.type("harbor", delay=30)
    expect_results(page, expected)

    box = search_box(page)
    arrow_down_to_first_result(page)
    page.keyboard.press("ArrowDown")  # arrows move between the result links...
    expect(titles(page).nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(titles(page).first).to_be_focused()
    page.keyboard.press("ArrowUp")  # ...and up from the first goes back to the box
    expect(box).to_be_focused()
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".+"))

    page.keyboard.press("Escape")  # first Escape closes the list...
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.locator("news-search #panel")).to_be_hidden()
    expect(box).to_have_value("harbor")
    page.keyboard.press("ArrowDown")  # ...ArrowDown reopens it
    expect(page.locator("news-search #panel")).to_be_visible()
    arrow_down_to_first_result(page)
    page.keyboard.press("Escape")  # Escape in the results goes back to the box, results kept
    expect(box).to_be_focused()
    expect(page.locator("news-search #panel")).to_be_visible()
    arrow_down_to_first_result(page)

    page.keyboard.press("Enter")
    page.wait_for_url(article_url)
    assert opened == [article_url]


def test_escape_twice_clears_the_search(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("harbor")
    expect_results(page, api_search(api, q="harbor"))
    search_box(page).press("Escape")
    expect(page.locator("news-search #panel")).to_be_hidden()
    expect(search_box(page)).to_have_value("harbor")
    search_box(page).press("Escape")
    expect(search_box(page)).to_have_value("")
    expect(status_line(page)).to_have_text("")
    expect(page.locator("news-search .hit")).to_have_count(0)


def test_syntax_error_hint_and_no_results_message(page: Page, host: HostPages, api: Server) -> None:
    status_code, error = get_json(f"{api.url}/api/search?q=AND")
    assert (status_code, error["code"], error["parameter"]) == (400, "invalid_query", "q")
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("AND")
    expect(page.locator("news-search #hint")).to_have_text(f"Check the search syntax: {error['message']}")
    search_box(page).fill("harbor")
    expect_results(page, api_search(api, q="harbor"))
    expect(page.locator("news-search #hint")).to_have_text("")

    nothing = "<i>qqzzx</i>"
    assert api_search(api, q=nothing)["total"] == 0
    search_box(page).fill(nothing)
    expect(status_line(page)).to_have_text(f"No results for “{nothing}”.")  # the query echoed as text
    expect(page.locator("news-search [role=status] i")).to_have_count(0)
    expect(page.locator("news-search .hit")).to_have_count(0)
    expect(search_box(page)).to_have_attribute("aria-expanded", "false")


def test_service_down_shows_a_friendly_error(page: Page, host: HostPages, widget_index: Path) -> None:
    # A short graceful timeout: the browser's keep-alive connection would hold the stop for seconds.
    doomed = start_gunicorn(widget_index, workers=1, env={"GUNICORN_CMD_ARGS": "--graceful-timeout 1"})
    try:
        open_widget(page, host.add("/doomed.html", host_page(doomed.url)))
    finally:
        doomed.stop()
    search_box(page).fill("harbor")
    expect(status_line(page)).to_have_text(SERVICE_DOWN_MESSAGE)
    expect(status_line(page)).to_have_class("status error")
    expect(page.locator("news-search .root")).to_have_attribute("aria-busy", "false")
    expect(page.locator("news-search .hit")).to_have_count(0)


def test_url_state_round_trip(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/stateful.html")
    search_box(page).press_sequentially("harbor", delay=30)
    plain = api_search(api, q="harbor")
    expect_results(page, plain)
    expect(page).to_have_url(f"{host.url}/stateful.html?q=harbor&prefix=last")  # typed: the last word a prefix

    chosen = plain["facets"]["section"][0]["value"]
    page.locator(f"news-search #sections input[value='{chosen}']").check()
    narrowed = api_search(api, q="harbor", section=chosen)
    expect_results(page, narrowed)
    expect(page).to_have_url(f"{host.url}/stateful.html?{urlencode({'q': 'harbor', 'section': chosen, 'prefix': 'last'})}")

    page.reload()
    expect_results(page, narrowed)
    expect(search_box(page)).to_have_value("harbor")
    expect(page.locator(f"news-search #sections input[value='{chosen}']")).to_be_checked()

    page.go_back()
    expect(page).to_have_url(f"{host.url}/stateful.html?q=harbor&prefix=last")
    expect_results(page, plain)
    page.go_back()
    expect(page).to_have_url(f"{host.url}/stateful.html")
    expect(search_box(page)).to_have_value("")
    expect(page.locator("news-search .hit")).to_have_count(0)


def test_url_state_restores_loaded_pages(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/stateful.html?q=harbor&sort=newest")
    first = api_search(api, typed=False, q="harbor", sort="newest")
    expect_results(page, first)
    expect(page.locator("news-search #sort")).to_have_value("newest")
    page.locator("news-search #more").click()
    expect(page).to_have_url(f"{host.url}/stateful.html?q=harbor&sort=newest&page=2")
    page.reload()
    second = api_search(api, typed=False, q="harbor", sort="newest", page=2)
    expect(titles(page)).to_have_text([hit["title"] for result in (first, second) for hit in result["hits"]])


def test_french_labels_and_dark_theme(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/french.html")
    search_box(page).fill("harbor")
    expected = api_search(api, q="harbor")
    expect(titles(page)).to_have_text([hit["title"] for hit in expected["hits"]])
    expect(status_line(page)).to_have_text(f"{expected['total']} résultats")
    expect(page.locator("news-search #more")).to_have_text("Plus de résultats")
    expect(search_box(page)).to_have_attribute("placeholder", "Rechercher des articles")
    year, month = expected["facets"]["date"][0]["key"].split("-")
    first_bucket = page.locator("news-search #dates button span").first
    expect(first_bucket).to_have_text(f"{FRENCH_MONTHS[int(month) - 1]} {year}")
    background = page.locator("news-search .root").evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(22, 24, 27)"


def test_sections_attribute_limits_every_search(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/limited.html")
    search_box(page).fill("bridge")
    limited = api_search(api, q="bridge", section=list(LIMITED_SECTIONS))
    assert limited["total"] < api_search(api, q="bridge")["total"]
    expect_results(page, limited)
    assert set(page.locator("news-search .hit .section").all_text_contents()) <= set(LIMITED_SECTIONS)
    everywhere = {bucket["value"]: bucket["count"] for bucket in limited["facets"]["section"]}
    assert section_facet(page) == {section: everywhere[section] for section in LIMITED_SECTIONS if section in everywhere}


def test_did_you_mean_runs_the_suggested_query(page: Page, host: HostPages, api: Server) -> None:
    misspelled = api_search(api, q="brigde")
    if not misspelled.get("suggestion"):
        pytest.skip("the API does not offer spelling suggestions (yet): 'brigde' came back without one")
    corrected = misspelled["suggestion"]["text"]
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("brigde")
    link = page.locator("news-search #dym a")
    expect(link).to_have_text(corrected)
    link.click()
    expect(search_box(page)).to_have_value(corrected)
    # A chosen suggestion is a whole query, not typed: its last word is not a prefix.
    expect_results(page, api_search(api, typed=False, q=corrected))


def test_completions_follow_the_suggest_endpoint(page: Page, host: HostPages, api: Server) -> None:
    suggest_status, _ = get_json(f"{api.url}/api/suggest?q=har")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/api/suggest" in request.url else None)
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("harbor")
    expect_results(page, api_search(api, q="harbor"))
    search_box(page).fill("bridge")
    expect_results(page, api_search(api, q="bridge"))
    completions = page.locator("news-search [role=listbox] .completion[role=option]")
    if suggest_status == 404:  # feature absent: asked once, then never again, and nothing shown
        assert len(asked) == 1
        expect(completions).to_have_count(0)
    else:
        assert len(asked) == 2
        expect(completions.first).to_be_visible()


def test_demo_page_with_hostile_host_css(page: Page, api: Server) -> None:
    """The demo page as the service ships it at /, searched, wide and at 360 px; the screenshots
    land in test-artifacts/ for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    open_widget(page, f"{api.url}/")
    search_box(page).fill("bridge")
    expect_results(page, api_search(api, q="bridge", per_page=10))
    mark_style = page.locator("news-search mark").first.evaluate(
        "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.fontFamily, s.textTransform]; }"
    )
    assert mark_style[0] != "rgb(0, 0, 0)" and "Comic" not in mark_style[1] and mark_style[2] == "none"
    assert "Comic" not in search_box(page).evaluate("el => getComputedStyle(el).fontFamily")
    for width, name in ((1280, "widget-demo.png"), (360, "widget-demo-360.png")):
        page.set_viewport_size({"width": width, "height": 900})
        # the screenshot after the busy fade (transitions are animations, shadow trees included)
        page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def value_facet(page: Page, name: str) -> dict[str, int]:
    labels = page.locator(f"news-search fieldset[data-facet={name}] label")
    return {labels.nth(i).locator(".name").text_content(): int(labels.nth(i).locator(".count").text_content()) for i in range(labels.count())}


def test_typing_searches_the_last_word_as_a_prefix_and_enter_searches_exactly(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).press_sequentially("harbor brid", delay=40)
    typed = api_search(api, q="harbor brid")
    assert typed["total"] > 0 and typed["total"] == api_search(api, typed=False, q="harbor bridge")["total"]
    expect_results(page, typed)
    search_box(page).press("Enter")
    expect(status_line(page)).to_have_text("No results for “harbor brid”.")
    expect(page.locator("news-search .hit")).to_have_count(0)


def test_author_and_tag_facets_when_the_facets_attribute_asks(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("harbor")
    expect_results(page, api_search(api, q="harbor"))
    expect(page.locator("news-search fieldset[data-facet]")).to_have_count(0)  # not asked for

    open_widget(page, f"{host.url}/archive.html")
    search_box(page).fill("harbor")
    every = api_search(api, q="harbor", facets="section,date,author,tag")
    expect_results(page, every)
    expect(page.locator("news-search fieldset[data-facet=author] legend")).to_have_text("Author")
    assert value_facet(page, "author") == {v["value"]: v["count"] for v in every["facets"]["author"]}
    assert value_facet(page, "tag") == {v["value"]: v["count"] for v in every["facets"]["tag"]}

    author = every["facets"]["author"][0]["value"]
    page.locator(f"news-search fieldset[data-facet=author] input[value='{author}']").check()
    narrowed = api_search(api, q="harbor", author=author, facets="section,date,author,tag")
    assert narrowed["total"] < every["total"]
    expect_results(page, narrowed)
    assert value_facet(page, "author") == {v["value"]: v["count"] for v in narrowed["facets"]["author"]}  # multi-select
    page.locator("news-search .chip", has_text=author).click()
    expect_results(page, every)


def test_demo_page_advertises_the_feed_of_the_search_and_the_search_box(page: Page, api: Server) -> None:
    open_widget(page, f"{api.url}/")
    expect(page.locator('link[rel="search"][type="application/opensearchdescription+xml"]')).to_have_attribute("href", "/opensearch.xml")
    search_box(page).fill("bridge")
    search_box(page).press("Enter")
    expect_results(page, api_search(api, q="bridge", per_page=10, typed=False))
    feed_link = page.locator('link[rel="alternate"][type="application/atom+xml"]')
    expect(feed_link).to_have_attribute("href", f"{api.url}/api/search.atom?q=bridge")
    with urllib.request.urlopen(feed_link.get_attribute("href"), timeout=30) as response:
        feed = feedparser.parse(response.read())
    assert not feed.bozo and feed.feed.title == "Search: bridge" and feed.entries


def test_completions_are_the_comboboxs_listbox_and_enter_runs_one(page: Page, host: HostPages, api: Server) -> None:
    status, body = get_json(f"{api.url}/api/suggest?q=brid")
    assert status == 200 and body["suggestions"], body
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("brid")
    completions = page.locator("news-search #completions [role=option]")
    expect(completions.first).to_be_visible()
    expect(search_box(page)).to_have_attribute("aria-expanded", "true")
    chosen = completions.first.text_content()
    search_box(page).press("ArrowDown")
    expect(search_box(page)).to_have_attribute("aria-activedescendant", completions.first.get_attribute("id"))
    expect(completions.first).to_have_attribute("aria-selected", "true")
    search_box(page).press("Enter")
    expect(search_box(page)).to_have_value(chosen)
    expect_results(page, api_search(api, typed=False, q=chosen))
    expect(page.locator("news-search #completions")).to_be_hidden()
    expect(search_box(page)).to_have_attribute("aria-expanded", "false")


def test_subscribe_link_is_the_feed_of_the_search(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/plain.html")
    page.evaluate("window.feeds = []; document.addEventListener('news-search:feed', (e) => window.feeds.push(e.detail.url))")
    search_box(page).fill("harbor")
    expect_results(page, api_search(api, q="harbor"))
    section = api_search(api, q="harbor")["facets"]["section"][0]["value"]
    page.locator(f"news-search #sections input[value='{section}']").check()
    expect_results(page, api_search(api, q="harbor", section=section))

    link = page.locator("news-search a.feed")
    expect(link).to_have_text("Subscribe to this search")
    expect(link).to_have_attribute("type", "application/atom+xml")
    expected = f"{api.url}/api/search.atom?{urlencode({'q': 'harbor', 'section': section})}"
    expect(link).to_have_attribute("href", expected)
    assert page.evaluate("window.feeds.at(-1)") == expected  # the URL the event gives the host page
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as response:
        feed = feedparser.parse(response.read())
    assert not feed.bozo and feed.entries
    assert {entry.link for entry in feed.entries} <= {hit["url"] for hit in api_search(api, typed=False, q="harbor", section=section, per_page=100)["hits"]}


def percent(text: str) -> float:
    return float(text.replace("%", "").replace(",", "").strip()) / 100


def test_coverage_share_attribute_shows_the_timelines_share_per_date_bucket(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/share.html")
    search_box(page).fill("harbor")
    expected = api_search(api, q="harbor")
    expect_results(page, expected)
    status, timeline = get_json(f"{api.url}/api/timeline?{urlencode({'q': 'harbor', 'prefix': 'last', 'interval': expected['date_interval']})}")
    assert status == 200
    shares = {bucket["key"]: bucket["share"] for bucket in timeline["buckets"]}
    buckets = [b for b in expected["facets"]["date"] if b["count"]]
    assert len({shares[b["key"]] for b in buckets}) > 1  # the shares differ: the check below can tell them apart

    buttons = page.locator("news-search #dates button")
    expect(buttons).to_have_count(len(buckets))
    expect(buttons.locator(".count").first).to_contain_text("%")
    for i, bucket in enumerate(buckets):
        assert percent(buttons.nth(i).locator(".count").text_content()) == pytest.approx(shares[bucket["key"]], abs=0.0005)
        expect(buttons.nth(i)).to_have_attribute("aria-label", re.compile(r", [\d.]+% of all articles$"))
    widths = buttons.locator(".bar").evaluate_all("bars => bars.map((b) => Number(getComputedStyle(b.parentNode).getPropertyValue('--w')))")
    top = max(shares[b["key"]] for b in buckets)
    assert widths == pytest.approx([shares[b["key"]] / top for b in buckets], abs=1e-6)

    buttons.first.click()  # the buttons still filter by their period
    narrowed = api_search(api, q="harbor", date_from=buckets[0]["from"], date_to=buckets[0]["to"])
    expect_results(page, narrowed)


def test_widget_gzipped_fits_the_budget() -> None:
    """What a reader downloads: widget.js compressed as gzip -9 would."""
    size = len(gzip.compress(WIDGET_JS.read_bytes(), compresslevel=9))
    assert size <= MAX_GZIPPED_BYTES, f"widget.js is {size} bytes gzipped, over the {MAX_GZIPPED_BYTES} byte budget"


# ---- the accessibility audit, in every state ---------------------------------------------------


def searched(page: Page, url: str, api: Server, query: str = "harbor", **params: Any) -> dict[str, Any]:
    open_widget(page, url)
    search_box(page).fill(query)
    expected = api_search(api, q=query, **params)
    expect_results(page, expected)
    return expected


def results_state(page: Page, host: HostPages, api: Server) -> None:
    searched(page, f"{host.url}/plain.html", api)


def facets_open_state(page: Page, host: HostPages, api: Server) -> None:
    """Every facet shown and used: a section checked, a date bucket pressed, author and tag facets."""
    every = searched(page, f"{host.url}/archive.html", api, facets="section,date,author,tag")
    section = every["facets"]["section"][0]["value"]
    page.locator(f"news-search #sections input[value='{section}']").check()
    expect_results(page, api_search(api, q="harbor", section=section, facets="section,date,author,tag"))
    bucket = api_search(api, q="harbor", section=section)["facets"]["date"][0]
    page.locator(f"news-search #dates button[data-from='{bucket['from']}']").click()
    expect(page.locator(f"news-search #dates button[data-from='{bucket['from']}']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("news-search .chip")).to_have_count(2)
    expect(page.locator("news-search #facets")).to_have_attribute("open", "")


def completions_open_state(page: Page, host: HostPages, api: Server) -> None:
    status, body = get_json(f"{api.url}/api/suggest?q=brid")
    assert status == 200 and body["suggestions"], body
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("brid")
    expect(page.locator("news-search .completion").first).to_be_visible()
    expect(search_box(page)).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(page.locator("news-search .completion").first).to_have_attribute("aria-selected", "true")


def no_results_state(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/plain.html")
    search_box(page).fill("qqzzx")
    expect(status_line(page)).to_have_text("No results for “qqzzx”.")


def error_state(page: Page, host: HostPages, api: Server) -> None:
    open_widget(page, f"{host.url}/unreachable.html")
    search_box(page).fill("harbor")
    expect(status_line(page)).to_have_text(SERVICE_DOWN_MESSAGE)


def dark_theme_state(page: Page, host: HostPages, api: Server) -> None:
    searched(page, f"{host.url}/dark.html", api, facets="section,date,author,tag")


def narrow_state(page: Page, host: HostPages, api: Server) -> None:
    """360 px wide, the folded filters unfolded."""
    page.set_viewport_size({"width": 360, "height": 800})
    searched(page, f"{host.url}/plain.html", api)
    expect(page.locator("news-search #facets")).not_to_have_attribute("open", "")
    page.locator("news-search #facets summary").click()
    expect(page.locator("news-search #facets")).to_have_attribute("open", "")


def coverage_share_state(page: Page, host: HostPages, api: Server) -> None:
    searched(page, f"{host.url}/share.html", api)
    expect(page.locator("news-search #dates .count").first).to_contain_text("%")


def hostile_css_state(page: Page, host: HostPages, api: Server) -> None:
    """The demo page, whose global CSS is hostile to embedded widgets."""
    searched(page, f"{api.url}/", api, query="bridge", per_page=10)


AUDITED_STATES = {
    "results": results_state, "facets-open": facets_open_state, "completions-open": completions_open_state,
    "no-results": no_results_state, "error": error_state, "dark-theme": dark_theme_state, "360px": narrow_state,
    "hostile-css": hostile_css_state, "coverage-share": coverage_share_state,
}


@pytest.mark.parametrize("state", AUDITED_STATES)
def test_accessibility_audit_finds_nothing_serious(page: Page, host: HostPages, api: Server, state: str) -> None:
    """axe-core over the widget's shadow root in each state; every state's full result is kept in
    test-artifacts/axe-STATE.json, and a serious or critical violation fails with axe's own words."""
    AUDITED_STATES[state](page, host, api)
    violations = audit(page)
    record(ARTIFACTS, state, violations)
    if blocking(violations):
        pytest.fail(f"axe-core finds serious or critical violations in state {state}:\n{describe(blocking(violations))}", pytrace=False)
