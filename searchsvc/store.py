"""Where the index lives: the Whoosh schema, the index generations and how they change.

A store is a folder holding complete index *generations* under ``generations/`` and a
``CURRENT`` file naming the live one. A rebuild writes a new generation beside the live
one (as ``<name>.building``), renames it when complete and then replaces ``CURRENT`` with
``os.replace``: readers see either the old generation or the new one, never a half-built
index, and a killed rebuild leaves the live generation untouched.

Live changes (API writes, ``reindex --update``) go to the live generation under one
store-wide write lock (a POSIX lock: several gunicorn workers and commands may write, but one
at a time, and a killed holder releases it) and are appended to a journal. A rebuild
notes where the journal ended when it started and, holding the write lock, replays what
came after into the new generation just before switching, so no write is lost by a switch.
The journal outlives rebuilds, bounded (journal.py), so that ``reindex --replay-since`` can
also replay the writes made between a CMS export and the rebuild from it.
Deletes are also recorded in the generation's removal list (removals.py), which a rebuild
carries over less the ids its sources publish again.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from whoosh import formats, index
from whoosh.analysis import STOP_WORDS, StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, FieldType, Schema
from whoosh.index import FileIndex
from whoosh.reading import EmptyReader, IndexReader

from searchsvc import removals
from searchsvc.articles import Article
from searchsvc.index_analysis import STEMMER, distinct_words, is_kept, kept_stems
from searchsvc.journal import Change, Journal, JournalBounds, change_id
from searchsvc.near_duplicates import BAND_FIELDS, band_field, band_values_of_many
from searchsvc.posting_arrays import PostingArraysCodec

CURRENT_FILE = "CURRENT"
JOURNAL_FILE = "journal.jsonl"
WRITE_LOCK_FILE = "write.lock"
REBUILD_LOCK_FILE = "rebuild.lock"
# A write trimming the journal holds the rebuild lock for the copy of the kept tail (seconds
# at most): a rebuild starting then waits for it rather than failing as if another ran.
JOURNAL_TRIM_GRACE = 30.0
GENERATIONS_DIR = "generations"
BUILDING_SUFFIX = ".building"
META_FILE = "generation.json"
OPEN_ATTEMPTS = 10  # tries to open a version of an index that live writes keep replacing
TITLE_BOOST = 2.0
TOC_NAME = re.compile(r"_MAIN_(\d+)\.toc")  # a version's table of contents (Whoosh's index name MAIN)
# Every writer's options. Separate segment files, not one compound file: a searcher copies
# each part of a compound file out of its memory map onto the heap, so every worker held
# more than the index's size. The codec also writes each segment's posting arrays.
WRITER_OPTIONS: dict[str, Any] = {"limitmb": 256, "compound": False, "codec": PostingArraysCodec()}


def stem_word(word: str) -> str:
    """Snowball English stemming in C (PyStemmer): same stems at index and query time.

    A module-level function so the pickled schema refers to it by name.
    """
    return STEMMER.stemWord(word)


def text_analyzer() -> StemmingAnalyzer:
    return StemmingAnalyzer(stemfn=stem_word, cachesize=100_000)


def index_words(text: str) -> list[tuple[int, str]]:
    """What :func:`text_analyzer` makes of ``text`` as (position, word) pairs: tokenize,
    lowercase, drop stop words and one-letter words, stem; in bulk (index_analysis.py)."""
    first, stems = kept_stems(text)
    return list(enumerate(stems, first))


def analyze_forms(tokens: Iterable[str]) -> dict[str, str]:
    """Each distinct token as :func:`text_analyzer` makes it when asked to keep stop words (as
    Whoosh's highlighter does): lowercased, stop words and one-letter words left as they are,
    the others stemmed; with one stemming call for all."""
    lowered = {token: token.lower() for token in set(tokens)}
    kept = [word for word in set(lowered.values()) if is_kept(word)]
    stems = dict(zip(kept, STEMMER.stemWords(kept)))
    return {token: stems.get(word, word) for token, word in lowered.items()}


class BulkPositions(formats.Positions):
    """Whoosh's positions format, analyzing at index time in bulk (index_analysis.kept_stems).

    Indexing spent a third of its time creating a Token object per word; the postings
    written are the same (a test compares them with the analyzer's). Query parsing and
    highlighting still use the analyzer itself.
    """

    def word_values(self, value: str, analyzer: Any, **kwargs: Any) -> Iterator[tuple[str, int, float, bytes]]:
        return zip(*self.bulk_postings(value))

    def bulk_postings(self, value: str) -> tuple[list[str], list[int], list[float], list[bytes]]:
        """``word_values`` as four lists (words, frequencies, weights, encoded positions): the
        bulk segment writer takes them so, without a tuple per word."""
        positions: dict[str, list[int]] = defaultdict(list)
        first, stems = kept_stems(value)
        for position, stem in enumerate(stems, first):
            positions[stem].append(position)
        encode, single = self.encode, _SINGLE_POSITION
        # Most words of an article occur once: the encodings of single positions are reused (same bytes).
        values = [
            (single.get(found[0]) or single.setdefault(found[0], encode(found))) if len(found) == 1 else encode(found)
            for found in positions.values()
        ]
        frequencies = [len(found) for found in positions.values()]
        boost = self.field_boost
        return list(positions), frequencies, [frequency * boost for frequency in frequencies], values


_SINGLE_POSITION: dict[int, bytes] = {}  # Positions.encode([position]) by position


def _text_field(analyzer: StemmingAnalyzer, field_boost: float = 1.0) -> TEXT:
    field = TEXT(analyzer=analyzer, stored=True, field_boost=field_boost)
    field.format = BulkPositions(field_boost=field_boost)
    return field


def word_analyzer() -> StandardAnalyzer:
    """The text analyzer without stemming: whole words as readers type them."""
    return StandardAnalyzer()


# English function words (NLTK's list, less what STOP_WORDS already drops): never worth
# completing a prefix to, or correcting a misspelling to.
FUNCTION_WORDS = frozenset(
    """
    i me my myself our ours ourselves yours yourself yourselves he him his himself she her
    hers herself its itself they them their theirs themselves what which who whom these
    those am was were been being has had having do does did doing but because until while
    about against between into through during before after above below up down out off
    over under again further then once here there where why how all any both each few
    more most other some such no nor only own same so than too very just don should now
    ll re ve ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan
    shouldn wasn weren won wouldn
    """.split()
) | STOP_WORDS


class DistinctWords(formats.Existence):
    """Which words (as :func:`word_analyzer` finds them, starting with a letter, not function
    words) a text has.

    The ``words`` field re-reads title and body; their distinct words, which the title and
    body fields have just found (index_analysis.distinct_words), cost a fraction of a second
    pass of the analyzer.
    """

    def word_values(self, value: str, analyzer: Any, **kwargs: Any) -> Iterator[tuple[str, int, float, bytes]]:
        return zip(*self.bulk_postings(value))

    def bulk_postings(self, value: str) -> tuple[list[str], list[int], list[float], list[bytes]]:
        """``word_values`` as four lists, as :meth:`BulkPositions.bulk_postings`."""
        # Numbers ("16.25", "1987") are never misspelled or completed: left out.
        kept = [word for word in distinct_words(value).difference(FUNCTION_WORDS) if len(word) >= 2 and word[0].isalpha()]
        return kept, [1] * len(kept), [self.field_boost] * len(kept), [b""] * len(kept)


def build_schema() -> Schema:
    analyzer = text_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=_text_field(analyzer, TITLE_BOOST),
        body=_text_field(analyzer),
        section=ID(stored=True, sortable=True),
        published=DATETIME(stored=True, sortable=True),
        updated=DATETIME(stored=True, sortable=True),
        author=KEYWORD(commas=True, lowercase=True),
        tag=KEYWORD(commas=True, lowercase=True),
        url=STORED,
        summary=STORED,
        authors=STORED,
        tags=STORED,
        # The unstemmed words of title and body, with their document frequencies: the
        # vocabulary of "did you mean" and of suggestions (title and body hold stems).
        # Scorable only so Whoosh keeps its (one byte) lengths: without them, writing each
        # posting looks for the missing lengths file on disk, and indexing takes 60% longer.
        words=FieldType(DistinctWords(), word_analyzer(), scorable=True),
        # Near-duplicate MinHash bands (near_duplicates.py), read as columns by collapse=duplicates.
        **{name: band_field() for name in BAND_FIELDS},
    )


def article_fields(article: Article) -> dict[str, Any]:
    """The Whoosh document for an article (the inverse of :func:`article_from_stored`)."""
    return articles_fields([article])[0]


def articles_fields(articles: Sequence[Article]) -> list[dict[str, Any]]:
    """The Whoosh documents for articles: their near-duplicate bands are computed for all of
    them at once, cheaper per article than one by one (a bulk rebuild passes chunks of 500)."""
    bands = band_values_of_many((article.title, article.body) for article in articles)
    return [_fields(article, article_bands) for article, article_bands in zip(articles, bands)]


def _fields(article: Article, bands: dict[str, int]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "section": article.section,
        "author": ",".join(a.replace(",", " ") for a in article.authors),
        "tag": ",".join(t.replace(",", " ") for t in article.tags),
        "url": article.url,
        "summary": article.summary,
        "authors": list(article.authors),
        "tags": list(article.tags),
        "words": article.title + "\n" + article.body,
        **bands,
    }
    if article.published is not None:
        # Whoosh compares naive datetimes; store UTC wall time.
        fields["published"] = article.published.astimezone(timezone.utc).replace(tzinfo=None)
    if article.updated is not None:
        fields["updated"] = article.updated.astimezone(timezone.utc).replace(tzinfo=None)
    return fields


def article_from_stored(stored: dict[str, Any], with_body: bool = True) -> Article:
    published = stored.get("published")
    updated = stored.get("updated") or published  # an index written before ``updated`` existed
    return Article(
        id=stored["id"],
        title=stored["title"],
        body=stored["body"] if with_body else "",
        url=stored.get("url"),
        summary=stored.get("summary"),
        section=stored["section"],
        published=published.replace(tzinfo=timezone.utc) if published else None,
        authors=tuple(stored.get("authors") or ()),
        tags=tuple(stored.get("tags") or ()),
        updated=updated.replace(tzinfo=timezone.utc) if updated else None,
    )


@dataclass(frozen=True)
class Generation:
    name: str
    path: Path

    def open(self) -> FileIndex:
        """The generation's index. Opening reads its newest table of contents, which a live
        write committing at that moment deletes (as Whoosh's own ``ix.reader()`` knows): retried."""
        for _attempt in range(OPEN_ATTEMPTS - 1):
            try:
                return index.open_dir(str(self.path))
            except FileNotFoundError:
                time.sleep(0.01)
        return index.open_dir(str(self.path))

    def version(self) -> int:
        """The number of the generation's newest committed version (Whoosh's table of
        contents ``_MAIN_<n>.toc``; every commit writes the next one); -1 before the first."""
        numbers = [int(found.group(1)) for path in self.path.iterdir() if (found := TOC_NAME.fullmatch(path.name))]
        return max(numbers, default=-1)

    def meta(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / META_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return {}


def open_reader(ix: FileIndex) -> IndexReader:
    """A reader of the index's newest version with every file it needs open.

    A live write's commit writes a new table of contents and then deletes the files of the
    segments it merged away. A reader opening those segments at that moment found some of
    their files gone and served requests without them (stored fields missing: a 500 under
    writes). A reader whose version is still the newest once its files are open opened
    them all before any deletion could start; otherwise it is opened again.
    """
    for _attempt in range(OPEN_ATTEMPTS - 1):
        reader = ix.reader()
        if isinstance(reader, EmptyReader) or reader.generation() == ix.latest_generation():
            return reader  # (an empty index's reader has no version and no files)
        reader.close()
    return ix.reader()  # changed under every attempt: what Whoosh itself gives


class NoIndexError(RuntimeError):
    """Raised when a store has no live generation yet."""


class StoreBusyError(RuntimeError):
    """The store's lock could not be had in time (another writer or rebuild holds it)."""


_THREAD_LOCKS: dict[Path, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


@contextmanager
def _exclusive_lock(path: Path, timeout: float, what: str) -> Iterator[None]:
    """An exclusive lock on ``path`` across threads and processes, waiting at most ``timeout``
    seconds (0: do not wait); raises StoreBusyError when it is not free in time.

    POSIX record locks (``lockf``), not ``flock``: they belong to the process, so the
    parallel writer's forked children do not keep a killed rebuild's lock alive. Because
    they are per process, threads of one process first take a threading lock.
    """
    deadline = time.monotonic() + timeout
    with _THREAD_LOCKS_GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(path.resolve(), threading.Lock())
    acquired = thread_lock.acquire(timeout=timeout) if timeout > 0 else thread_lock.acquire(blocking=False)
    if not acquired:
        raise StoreBusyError(f"{what} is busy; try again shortly")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as handle:  # closing it releases the lock
            while True:
                try:
                    fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as error:
                    if error.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise StoreBusyError(f"{what} is busy; try again shortly") from None
                    time.sleep(0.005)
            yield
    finally:
        thread_lock.release()


def last_changes(changes: Iterable[Change]) -> dict[str, Change]:
    """Each article id's last change, in the order ids first appear."""
    return {change_id(change): change for change in changes}


def apply_changes(ix: FileIndex, changes: Iterable[Change]) -> None:
    """Apply upserts and deletes to an index in one commit.

    A Whoosh writer's deletes only see committed documents, so a document added and then
    deleted (or added twice) in one commit would survive: only each id's last change is applied.
    """
    with ix.writer(**WRITER_OPTIONS) as writer:
        for article_id, (op, value) in last_changes(changes).items():
            if op == "upsert":
                # A generation built before a field existed (``updated``) keeps its schema until rebuilt.
                writer.update_document(**{name: v for name, v in article_fields(value).items() if name in writer.schema})
            else:
                writer.delete_by_term("id", article_id)


class IndexStore:
    """The folder of index generations and the ``CURRENT`` pointer."""

    def __init__(self, root: str | os.PathLike[str], journal_bounds: JournalBounds | None = None) -> None:
        self.root = Path(root)
        self.generations = self.root / GENERATIONS_DIR
        self.journal = Journal(self.root / JOURNAL_FILE, journal_bounds or JournalBounds.from_env())
        self._removals = removals.RemovalsCache()  # the removal list this store's writes last saw

    def current_name(self) -> str | None:
        try:
            name = (self.root / CURRENT_FILE).read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def current(self) -> Generation:
        name = self.current_name()
        if name is None or not (self.generations / name).is_dir():
            raise NoIndexError(f"no index has been built in {self.root} yet: run `searchsvc reindex SOURCE...`")
        return Generation(name, self.generations / name)

    @contextmanager
    def new_generation(
        self, meta: dict[str, Any], replay_since: datetime | None = None
    ) -> Iterator[tuple[Generation, FileIndex, dict[str, Any]]]:
        """Create an empty generation; on success make it live, on failure delete it.

        The caller may add to the yielded ``meta`` dict; it is saved with the generation.
        With ``replay_since`` (when the sources were exported), the writes journaled since
        then are replayed too (``_replay_since``); ReplayTooOldError, before anything is
        built, when the journal no longer holds them all.
        """
        with _exclusive_lock(self.root / REBUILD_LOCK_FILE, JOURNAL_TRIM_GRACE, "another reindex of this index"):
            if replay_since is not None:
                self.journal.check_replay_since(replay_since)
            self.generations.mkdir(parents=True, exist_ok=True)
            self.remove_stale()
            # The rebuild's snapshot moment: writes journaled from here on are replayed into it.
            journal_start = self.journal.size()
            name = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
            # The builder's pid is in the folder's name, so that a build killed at any moment,
            # even right after the mkdir, is known to be abandoned (remove_stale).
            building = self.generations / f"{name}.{os.getpid()}{BUILDING_SUFFIX}"
            building.mkdir()
            try:
                ix = index.create_in(str(building), build_schema())
                meta = dict(meta)
                yield Generation(name, building), ix, meta
                meta.update(name=name, built_at=datetime.now(timezone.utc).isoformat())
                if replay_since is not None:
                    meta.update(replayed_since=replay_since.isoformat(), replayed_since_writes=self._replay_since(ix, replay_since, journal_start))
                with self.write_lock(timeout=60):
                    replayed = [entry.change for entry in self.journal.entries(journal_start)]
                    if replayed:
                        apply_changes(ix, replayed)
                    meta.update(articles=ix.doc_count(), replayed_writes=len(replayed))
                    self._carry_removals(ix, building)
                    ix.close()
                    (building / META_FILE).write_text(json.dumps(meta, indent=2), "utf-8")
                    os.rename(building, self.generations / name)
                    self.switch_to(name)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
            self.remove_stale(keep=2)

    def _replay_since(self, ix: FileIndex, since: datetime, until: int) -> int:
        """Replay into a fresh build the writes journaled from ``since`` (the export's moment)
        up to the rebuild's start: per id the last one, unless the export's copy is newer (a
        strictly later ``updated`` than the written article's, or than a delete's time).
        The writes made during the rebuild are replayed after this, unconditionally."""
        last = {change_id(entry.change): entry for entry in self.journal.entries(0, until, since=since)}
        kept: list[Change] = []
        with ix.searcher() as searcher:
            for article_id, entry in last.items():
                op, value = entry.change
                stored = searcher.document(id=article_id)
                exported = article_from_stored(stored, with_body=False).updated if stored else None
                written = value.updated if op == "upsert" else entry.at
                if exported is None or written is None or exported <= written:
                    kept.append((op, value))
        if kept:
            apply_changes(ix, kept)
        return len(kept)

    def _carry_removals(self, ix: FileIndex, building: Path) -> None:
        """Give a new generation the live one's removal list, less the ids it carries (its sources
        published them again): a rebuild does not resurrect a removed article (hold the write lock)."""
        try:
            live = self.current()
        except NoIndexError:
            return
        with ix.searcher() as searcher:
            kept = [entry for entry in removals.load(live.path, live.version()) if searcher.document_number(id=entry.id) is None]
        if kept:
            removals.save(building, Generation(building.name, building).version(), removals.Removals(kept))

    # -- live changes -----------------------------------------------------------------------

    def write_lock(self, timeout: float) -> Any:
        """The store-wide lock every writer of the live generation holds."""
        return _exclusive_lock(self.root / WRITE_LOCK_FILE, timeout, "the index writer")

    def write(self, changes: list[Change], timeout: float = 5.0) -> None:
        """Apply changes to the live generation and journal them, one writer at a time.

        When this returns the changes are committed to the index files and the journal
        line is fsynced. Raises StoreBusyError when the lock is not free within ``timeout``.
        """
        with self.write_lock(timeout):
            generation = self.current()
            at = datetime.now(timezone.utc)
            ix = generation.open()
            try:
                last = last_changes(changes)
                removals.record(generation.path, generation.version(), [i for i, (op, _) in last.items() if op == "delete"],
                                [i for i, (op, _) in last.items() if op == "upsert"], at, self._removals)
                apply_changes(ix, changes)
            finally:
                ix.close()
            self.journal.append(changes, at)
            if self.journal.needs_trim(at):
                self._trim_journal(at)

    def live_ids(self) -> set[str]:
        """Ids of the live generation's articles."""
        with open_reader(self.current().open()) as reader:
            return {fields["id"] for fields in reader.all_stored_fields()}

    def _trim_journal(self, now: datetime) -> None:
        """Trim the journal (hold the write lock) unless a rebuild runs: it holds an offset into it."""
        try:
            with _exclusive_lock(self.root / REBUILD_LOCK_FILE, 0, "a reindex"):
                self.journal.trim(now)
        except StoreBusyError:
            pass  # trimmed at a write after the rebuild

    def switch_to(self, name: str) -> None:
        """Atomically point CURRENT at a complete generation."""
        tmp = self.root / f".{CURRENT_FILE}.{os.getpid()}.tmp"
        tmp.write_text(name + "\n", "utf-8")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / CURRENT_FILE)

    def remove_stale(self, keep: int = 2) -> list[str]:
        """Delete abandoned builds and all but the newest ``keep`` complete generations.

        The previous generation is kept so workers still reading it finish their requests;
        they move to the new one at their next request.
        """
        removed: list[str] = []
        if not self.generations.is_dir():
            return removed
        current = self.current_name()
        complete = sorted(p for p in self.generations.iterdir() if p.is_dir() and not p.name.endswith(BUILDING_SUFFIX))
        for path in complete[:-keep] if keep else complete:
            if path.name != current:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
        for path in self.generations.glob("*" + BUILDING_SUFFIX):
            if not _builder_alive(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
        return removed


def _builder_alive(building: Path) -> bool:
    """Whether the process that started this build still runs (a killed build is garbage)."""
    try:
        pid = int(building.name.removesuffix(BUILDING_SUFFIX).rsplit(".", 1)[1])
    except (IndexError, ValueError):
        try:  # a build folder of an earlier version: its pid in a file
            pid = int((building / "pid").read_text())
        except (OSError, ValueError):
            return time.time() - building.stat().st_mtime < 60
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
