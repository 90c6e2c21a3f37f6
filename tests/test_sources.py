"""The ingestion readers: each format's good records, and every kind of bad input becoming
a Problem at the right place while the good records around it are still read."""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import replace
from datetime import datetime, timezone
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from searchsvc.articles import Article, derive_id
from searchsvc.sources import Problem, Record, base, feeds, json_files, jsonl, pages, read_sources

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed"
SEED_PAGE = SEED / "000_7e37a441b11b5017.txt"


def articles(records: list[Record]) -> list[Article]:
    return [record for record in records if isinstance(record, Article)]


def problems(records: list[Record]) -> list[Problem]:
    return [record for record in records if isinstance(record, Problem)]


def where(records: list[Record]) -> list[tuple[str, str, str | None] | str]:
    """Each record as an article id, or a problem's (location, field, reason start)."""
    return [
        record.id if isinstance(record, Article) else (record.location, record.field, record.reason.split(":")[0])
        for record in records
    ]


def article_line(**fields: object) -> bytes:
    return json.dumps({"title": "T", "body": "B", **fields}).encode() + b"\n"


# --- JSON Lines ----------------------------------------------------------------------------


def test_jsonl_reads_good_lines_around_every_kind_of_bad_line() -> None:
    records = list(jsonl.read(FIXTURES / "mixed.jsonl"))
    sea_wall_id = derive_id("https://coastal.example/news/sea-wall", "", None)
    assert where(records) == [
        "harbour-1",
        ("line 3", None, "invalid JSON"),
        ("line 4", None, "An article must be a JSON object."),
        ("line 5", "title", "Missing data for required field."),
        ("line 6", "published", "Not a valid date or datetime"),
        sea_wall_id,
    ]
    first, last = articles(records)
    assert first == Article(
        id="harbour-1",
        url="https://coastal.example/news/harbour-cranes",
        title="Harbour cranes return to Port Ellis",
        body="The three container cranes are back in service.",
        summary="Cranes back after storm repairs.",
        section="Business",
        published=datetime(2024, 11, 2, 9, 45, tzinfo=timezone.utc),
        updated=datetime(2024, 11, 2, 9, 45, tzinfo=timezone.utc),  # none given: the published date
        authors=("Mira Holt",),
        tags=("ports", "storms"),
    )
    assert last.published == datetime(2024, 11, 2, 9, 0, tzinfo=timezone.utc)
    assert all(problem.source == str(FIXTURES / "mixed.jsonl") for problem in problems(records))


def test_jsonl_gz_reads_like_plain(tmp_path: Path) -> None:
    packed = tmp_path / "mixed.jsonl.gz"
    packed.write_bytes(gzip.compress((FIXTURES / "mixed.jsonl").read_bytes()))
    plain = list(jsonl.read(FIXTURES / "mixed.jsonl"))
    assert list(jsonl.read(packed)) == [replace(r, source=str(packed)) if isinstance(r, Problem) else r for r in plain]


def test_jsonl_line_not_utf8_is_one_problem_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(article_line(id="a") + '{"title": "Café", "body": "x"}\n'.encode("latin-1") + article_line(id="c"))
    assert where(list(jsonl.read(path))) == ["a", ("line 2", None, "not UTF-8 (invalid byte 0xe9)"), "c"]


def test_jsonl_lone_surrogate_escape_is_dropped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "surrogate.jsonl"
    path.write_bytes(b'{"title": "Caf\\ud800e", "body": "b"}\n{"title": "\\udc80", "body": "b"}\n')
    first, second = jsonl.read(path)
    assert isinstance(first, Article) and first.title == "Cafe"
    assert isinstance(second, Problem) and second.field == "title"


def test_jsonl_allows_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + article_line(id="a"))
    assert where(list(jsonl.read(path))) == ["a"]


def test_jsonl_truncated_gzip_keeps_earlier_articles_and_names_the_line(tmp_path: Path) -> None:
    lines = [article_line(id=f"n{number}", body=f"body {number} " * 40) for number in range(200)]
    packed = gzip.compress(b"".join(lines))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    records = list(jsonl.read(path))
    kept = articles(records)
    assert 0 < len(kept) < 200
    assert [article.id for article in kept] == [f"n{number}" for number in range(len(kept))]
    assert records[-1] == Problem(str(path), f"line {len(kept) + 1}", None, records[-1].reason)
    assert records[-1].reason.startswith("truncated gzip file")
    assert len(problems(records)) == 1


def test_jsonl_gz_that_is_not_gzip_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl.gz"
    path.write_bytes(article_line(id="a"))
    [problem] = jsonl.read(path)
    assert isinstance(problem, Problem)
    assert (problem.location, problem.reason.startswith("not a gzip file")) == ("line 1", True)


def test_jsonl_over_long_line_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    huge = article_line(id="huge", body="x" * (jsonl.MAX_LINE_BYTES + 10))
    path.write_bytes(article_line(id="a") + huge + article_line(id="c") + huge.rstrip(b"\n"))
    assert where(list(jsonl.read(path))) == [
        "a",
        ("line 2", None, f"line longer than {jsonl.MAX_LINE_BYTES} bytes, skipped"),
        "c",
        ("line 4", None, f"line longer than {jsonl.MAX_LINE_BYTES} bytes, skipped"),
    ]


def test_jsonl_line_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    frame = len(article_line(id="edge", padding="")) - 1  # unknown keys are ignored
    padded = article_line(id="edge", padding="y" * (jsonl.MAX_LINE_BYTES - frame))
    assert len(padded.rstrip(b"\n")) == jsonl.MAX_LINE_BYTES
    path = tmp_path / "edge.jsonl"
    path.write_bytes(padded)
    assert where(list(jsonl.read(path))) == ["edge"]


@pytest.mark.parametrize("name", ["missing.jsonl", "missing.jsonl.gz"])
def test_missing_jsonl_is_one_problem(tmp_path: Path, name: str) -> None:
    assert list(jsonl.read(tmp_path / name)) == [
        Problem(str(tmp_path / name), "", None, "cannot read: No such file or directory")
    ]


# --- JSON files ----------------------------------------------------------------------------


def test_json_single_article() -> None:
    assert list(json_files.read(FIXTURES / "single.json")) == [
        Article(
            id="lighthouse-7",
            title="Lighthouse keeper retires after 40 years",
            body="Agnes Brae climbed the 112 steps for the last time on Friday.",
            section="Local",
            published=datetime(2024, 10, 31, tzinfo=timezone.utc),
            updated=datetime(2024, 10, 31, tzinfo=timezone.utc),
            authors=("Tomas Reyes",),
        )
    ]


def test_json_array_with_one_bad_entry() -> None:
    records = list(json_files.read(FIXTURES / "array.json"))
    assert where(records) == ["market-1", ("entry 2", "id", "must not contain whitespace, '/', '?' or '#'."), "market-3"]


def test_json_single_bad_article_has_no_entry_location(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text('{"body": "no title"}')
    assert where(list(json_files.read(path))) == [("", "title", "Missing data for required field.")]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'[{"title": "a", "body": "b"},', ("", None, "invalid JSON")),
        (b"", ("", None, "invalid JSON")),
        (b'{"title": "ok"}\n{"title": "caf\xe9"}', ("line 2", None, "not UTF-8 (invalid byte 0xe9)")),
        (b"[" * 100_000, ("", None, "invalid JSON")),
        (b"42", ("", None, "An article must be a JSON object.")),
    ],
    ids=["truncated", "empty", "not-utf8", "nested-too-deep", "not-an-object"],
)
def test_json_unreadable_file_is_one_problem(tmp_path: Path, content: bytes, expected: tuple) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert where(list(json_files.read(path))) == [expected]


# --- scraped pages -------------------------------------------------------------------------


def test_page_fixture() -> None:
    [article] = pages.read(FIXTURES / "page.txt")
    assert isinstance(article, Article)
    assert article.title == "Harbour cranes return to Port Ellis after storm repairs"
    assert article.section == "Europe"
    assert article.published == datetime(2024, 11, 2, 9, 45, tzinfo=timezone.utc)
    assert article.url is None
    assert article.id == derive_id(None, article.title, article.published)
    assert article.body.split("\n") == [
        "PORT ELLIS (Coastal Daily) — The three container cranes damaged in last month's storm "
        "are back in service, the port authority said on Saturday.",
        "Repairs took 19 days and cost less than first feared.",
        "Dock workers said the first ship was unloaded within hours.",
    ]


@pytest.mark.shared
def test_seed_page() -> None:
    if not SEED_PAGE.is_file():
        pytest.skip(f"shared seed page not found at {SEED_PAGE} (../shared is absent)")
    [article] = pages.read(SEED_PAGE)
    assert isinstance(article, Article)
    assert article.section == "News"
    assert article.title == "North Korean leader Kim Jong Un meets with Russian defense minister on military cooperation"
    assert article.published == datetime(2025, 4, 17, 15, 10, 39, tzinfo=timezone.utc)
    assert article.body.startswith("SEOUL, South Korea (AP)")
    assert article.body.endswith("over its flurry of missile tests.")
    for widget_text in ("NFL Week 15 picks", "veryGood", "Related", "Ranking", "Recommendation", "Wealth Navigators Hub"):
        assert widget_text not in article.body
    assert article.body.count("\n") == 9  # ten paragraphs, one per line


def test_page_without_date_line() -> None:
    assert list(pages.read(FIXTURES / "page_no_date.txt")) == [
        Problem(str(FIXTURES / "page_no_date.txt"), "", "published", "no 'Date:' line")
    ]


def write_page(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Current:Home > News\nView\nDate:2025-01-01 00:00:00\nBody.\n", ("line 2", "title", "no title line")),
        ("", ("line 1", "title", "no title line")),
        ("Current:Home > NewsA title -Site\nA title\nView\nDate:2025-01-01 00:00:00\nveryGood! (0)\nRelated\n",
         ("line 5", "body", "no body text after the Date line")),
        ("Current:Home > NewsA title -Site\nA title\nView\nDate:someday\nBody.\n",
         ("line 4", "published", "Not a valid date or datetime")),
        ("Current:Home > NewsA title -Site\n" + "T" * 1001 + "\nDate:2025-01-01\nBody.\n",
         ("line 2", "title", "Longer than maximum length 1000.")),
    ],
    ids=["no-title", "empty", "no-body", "bad-date", "title-too-long"],
)
def test_page_problems_name_field_and_line(tmp_path: Path, text: str, expected: tuple) -> None:
    assert where(list(pages.read(write_page(tmp_path, text)))) == [expected]


@pytest.mark.parametrize(
    ("header", "title", "section"),
    [
        ("Current:Home > SportsSports -Daily", "Sports", "Sports"),
        ("Current:Home > World > AsiaMonsoon arrives early - Asia Daily", "Monsoon arrives early", "Asia"),
        ("Current:Home > Title -Site", "Title", None),
        ("Current:Home > News<b>Title</b> -Site", "Title", None),
        ("Current:NewsTitle", "Title", "News"),
    ],
    ids=["section-equals-title", "nested-crumbs", "only-home", "title-not-in-header", "no-home-no-site"],
)
def test_page_section_from_breadcrumb(tmp_path: Path, header: str, title: str, section: str | None) -> None:
    [article] = pages.read(write_page(tmp_path, f"{header}\n{title}\nView\nDate:2025-01-01 12:00:00\nText.\n"))
    assert isinstance(article, Article)
    assert (article.title, article.section) == (title, section or "Uncategorized")


def test_page_without_breadcrumb_and_with_crlf_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes("\ufeffA title\r\nDate: 2025-03-01 08:00:00\r\nOne.\r\n\r\nTwo.\r\nRanking\r\nOther\r\n".encode())
    [article] = pages.read(path)
    assert isinstance(article, Article)
    assert (article.title, article.body, article.section) == ("A title", "One.\nTwo.", "Uncategorized")
    assert article.published == datetime(2025, 3, 1, 8, tzinfo=timezone.utc)


def test_page_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes(b"Current:Home > NewsT -S\nT\nDate:2025-01-01\nCaf\xe9\n")
    assert list(pages.read(path)) == [Problem(str(path), "line 4", None, "not UTF-8 (invalid byte 0xe9)")]


# --- feeds ---------------------------------------------------------------------------------


def test_rss_feed() -> None:
    records = list(feeds.read(FIXTURES / "feed.rss"))
    tides_url = "https://coastal.example/news/tides"
    reopens_url = "https://coastal.example/news/harbour-reopens"
    assert where(records) == [
        derive_id(tides_url, "", None),  # the guid is a URL: the id is the url's hash
        "coastal-2025-0118",
        ("entry 3", "title", "Field may not be null."),
        ("entry 4", "published", "Not a valid date or datetime"),
        derive_id(reopens_url, "", None),
    ]
    tides, quay, reopens = articles(records)
    assert tides == Article(
        id=derive_id(tides_url, "", None),
        url=tides_url,
        title="Tides & timetables",
        body="Spring tides move the first ferry to 06:40 & the last to 21:10.\nCheck the board\nbefore leaving.",
        summary="Spring tides move the ferries.",
        section="Local",
        published=datetime(2025, 1, 14, 7, 30, tzinfo=timezone.utc),
        updated=datetime(2025, 1, 14, 7, 30, tzinfo=timezone.utc),  # RSS has no updated date
        authors=("Ada Quay",),
        tags=("ferries", "weather"),
    )
    assert (quay.url, quay.body, quay.summary, quay.authors) == (
        None,
        "New LED lights line the north quay.",
        None,  # the summary became the body; not repeated
        ("Night Desk",),  # feedparser alone would split "desk@coastal.example (Night Desk)" wrongly
    )
    assert quay.published == datetime(2025, 1, 15, 18, tzinfo=timezone.utc)
    assert (reopens.section, reopens.tags) == ("Uncategorized", ())


def test_feed_entry_and_json_record_for_the_same_link_share_an_id(tmp_path: Path) -> None:
    path = tmp_path / "same.jsonl"
    path.write_bytes(article_line(url="https://coastal.example/news/tides"))
    [from_json] = jsonl.read(path)
    [from_feed] = articles(list(feeds.read(FIXTURES / "feed.rss")))[:1]
    assert isinstance(from_json, Article) and from_json.id == from_feed.id


def test_atom_feed() -> None:
    plankton, gauge = feeds.read(FIXTURES / "feed.atom")
    assert plankton == Article(
        id=derive_id("https://coastal.example/science/plankton", "", None),  # tag: URI has '/'
        url="https://coastal.example/science/plankton",
        title="Plankton bloom seen from orbit",
        body="Satellites saw the bloom on Monday.\nArea: 900 km²",
        summary="A bloom the size of a county.",
        section="Science",
        published=datetime(2025, 2, 3, 2, 5, 6, tzinfo=timezone.utc),  # only <updated>: both from it
        updated=datetime(2025, 2, 3, 2, 5, 6, tzinfo=timezone.utc),
        authors=("Bo Lind", "Cy Marr"),
        tags=("oceans",),
    )
    assert gauge == Article(
        id="urn:uuid:5b1f0c9e-0000-4c1e-9e55-000000000002",
        url=None,  # feedparser copies the urn: id into link; it is no web address
        title="Tide gauge data released",
        body="Readings 1990 < 2025, hourly.",  # type="text": a '<' is text, not a tag
        published=datetime(2025, 2, 1, 12, tzinfo=timezone.utc),
        updated=datetime(2025, 2, 2, 12, tzinfo=timezone.utc),  # Atom's <updated>, beside <published>
    )


def test_feed_broken_part_way_keeps_what_was_recovered(tmp_path: Path) -> None:
    data = (FIXTURES / "feed.rss").read_bytes()
    cut = data[: data.index(b"<item>", data.index(b"coastal-2025-0118"))] + b"<item><title>Half"
    path = tmp_path / "cut.rss"
    path.write_bytes(cut)
    records = list(feeds.read(path))
    tides_id = derive_id("https://coastal.example/news/tides", "", None)
    assert [article.id for article in articles(records)] == [tides_id, "coastal-2025-0118"]
    last_line = cut.count(b"\n") + 1  # the XML breaks where the file ends
    assert where(records)[2:] == [
        ("entry 3", "title", "Field may not be null. (and 1 more"),
        (f"line {last_line}", None, "malformed XML (no element found)"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.xml", (FIXTURES / "broken.xml").read_bytes(), None),
        ("garbage.rss", b"\x00\x01 not xml at all", ("line 1", None, "not an RSS or Atom feed")),
        ("page.xml", b"<html><body><p>Not a feed</p></body></html>", ("", None, "not an RSS or Atom feed")),
        ("empty.atom", b"", ("", None, "not an RSS or Atom feed")),
    ],
    ids=["truncated-in-first-item", "garbage", "html", "empty"],
)
def test_unparseable_feed_is_reported(tmp_path: Path, name: str, content: bytes, expected: tuple | None) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    records = list(feeds.read(path))
    assert articles(records) == []
    if expected is None:  # feedparser's recovery finds a first item with no body: that, and the break
        assert [(p.location, p.reason.split(":")[0]) for p in problems(records)] == [
            ("entry 1", "Field may not be null. (and 1 more"),
            ("line 3", "malformed XML (no element found)"),
        ]
    else:
        assert where(records) == [expected]


def test_feed_that_crashes_feedparser_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "nul.rss"  # feedparser raises ValueError decoding with a NUL in the encoding name
    rest_of_feed = (FIXTURES / "feed.rss").read_bytes().split(b"\n", 1)[1]
    path.write_bytes(b'<?xml version="1.0" encoding="\x00utf-8"?>\n' + rest_of_feed)
    [problem] = feeds.read(path)
    assert isinstance(problem, Problem)
    assert (problem.location, problem.reason.startswith("not an RSS or Atom feed: feedparser failed")) == ("", True)


def test_feed_link_that_is_no_valid_url_is_kept_as_given(tmp_path: Path) -> None:
    path = tmp_path / "odd.rss"
    path.write_bytes(b'<rss version="2.0"><channel><item><title>x</title><link>http://[::1/x</link>'
                     b"<description>y</description></item></channel></rss>")
    [article] = feeds.read(path)
    assert isinstance(article, Article) and article.url == "http://[::1/x"


def test_valid_feed_without_entries_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "quiet.rss"
    path.write_bytes(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>')
    assert list(feeds.read(path)) == []


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>One &amp; two</p><p>Three<br>four</p><script>track()</script>", "One & two\nThree\nfour"),
        ("<div>  spaced \n\t out &nbsp; words </div>", "spaced out words"),
        ("<ul><li>a</li><li>b</li></ul>tail", "a\nb\ntail"),
        ("x <![weird[ y ]]> z", "x z"),
        ("<style>p {}</style>kept", "kept"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert feeds.html_to_text(markup) == text


@pytest.mark.parametrize("reader", [json_files.read, pages.read, feeds.read])
def test_whole_file_sources_over_the_size_limit_are_one_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: Callable[[Path], Iterator[Record]]
) -> None:
    monkeypatch.setattr(base, "MAX_SOURCE_BYTES", 100)
    path = tmp_path / "big.source"
    path.write_bytes(b" " * 101)
    assert list(reader(path)) == [Problem(str(path), "", None, "larger than 100 bytes, not read")]


# --- read_sources ----------------------------------------------------------------------------


def test_read_sources_over_a_folder_mixing_formats(tmp_path: Path) -> None:
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    shutil.copy(FIXTURES / "single.json", tmp_path / "a.json")
    shutil.copy(FIXTURES / "feed.atom", tmp_path / "b" / "deeper" / "science.atom")
    shutil.copy(FIXTURES / "page.txt", tmp_path / "b" / "page.txt")
    (tmp_path / "c.jsonl.gz").write_bytes(gzip.compress(article_line(id="gz-1") + b"{oops\n"))
    (tmp_path / "notes.csv").write_text("ignored,because,unsupported\n")
    (tmp_path / ".hidden.jsonl").write_bytes(article_line(id="hidden"))
    records = list(read_sources([tmp_path]))
    page_title = "Harbour cranes return to Port Ellis after storm repairs"
    page_id = derive_id(None, page_title, datetime(2024, 11, 2, 9, 45, tzinfo=timezone.utc))
    assert [(Path(r.source).name, r.location) if isinstance(r, Problem) else r.id for r in records] == [
        "lighthouse-7",
        derive_id("https://coastal.example/science/plankton", "", None),
        "urn:uuid:5b1f0c9e-0000-4c1e-9e55-000000000002",
        page_id,
        "gz-1",
        ("c.jsonl.gz", "line 2"),
    ]


def test_read_sources_reports_unsupported_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("a,b\n")
    records = list(read_sources([tmp_path / "notes.csv", tmp_path / "gone.jsonl", FIXTURES / "single.json"]))
    assert [type(record).__name__ for record in records] == ["Problem", "Problem", "Article"]
    unsupported, missing = problems(records)
    assert unsupported.source == str(tmp_path / "notes.csv") and unsupported.reason.startswith("unsupported source type")
    assert missing == Problem(str(tmp_path / "gone.jsonl"), "", None, "no such file or folder")


def test_unreadable_directory_named_like_a_source_is_one_problem(tmp_path: Path) -> None:
    readers = ((jsonl.read, "d.jsonl"), (json_files.read, "d.json"), (pages.read, "d.txt"), (feeds.read, "d.rss"))
    for reader, name in readers:
        (tmp_path / name).mkdir()
        assert list(reader(tmp_path / name)) == [Problem(str(tmp_path / name), "", None, "cannot read: Is a directory")]
