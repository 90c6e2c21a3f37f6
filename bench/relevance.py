"""Ranking quality on the Cranfield collection: our search layer beside SQLite FTS5 and Tantivy.

Cranfield (1,400 aeronautics abstracts, 225 queries, graded judgments) is the standard
small collection for checking a ranking. Every engine indexes the same documents (title,
and the abstract as body) and answers the same natural-language queries: the query's
words, lowercased, punctuation removed, English function words dropped, OR-ed. We answer
through :class:`searchsvc.search.SearchService`, the code path of ``/api/search``, with
the ranking settings given (the defaults are what the API runs with). See
bench/README-relevance.md for what the settings mean and why they should suit news.

    .venv/bin/python bench/relevance.py [--sweep] [--cranfield DIR]

The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import gzip
import math
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import tantivy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout, without installing searchsvc

from searchsvc.articles import load_article  # noqa: E402
from searchsvc.indexer import index_articles  # noqa: E402
from searchsvc.search import SearchRequest, SearchService, SearchSettings, Sort  # noqa: E402
from searchsvc.search.query import QueryParser  # noqa: E402
from searchsvc.store import FUNCTION_WORDS, IndexStore  # noqa: E402

CRANFIELD = REPO.parent / "shared" / "corpora" / "cranfield"
NDCG_DEPTH = 10
MAP_DEPTH = 100
TITLE_WEIGHT = 2.0  # title:body weight of the peers, as our default title boost


# -- the collection -------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    body: str


@dataclass(frozen=True)
class Collection:
    documents: list[Document]
    queries: list[str]  # queries[n - 1] is query n of the judgments
    grades: dict[int, dict[str, int]]  # query number -> document id -> code 1 (best) to 4


def _records(text: str) -> Iterable[tuple[str, dict[str, str]]]:
    """``.I`` records as (id, {field letter: text}); a repeated field is joined to the first."""
    number: str | None = None
    fields: dict[str, list[str]] = {}
    letter = ""
    for line in text.splitlines():
        marker = re.fullmatch(r"\.([A-Z])(?:\s+(\S+))?\s*", line)
        if marker and marker.group(1) == "I":
            if number is not None:
                yield number, {key: " ".join(lines).strip() for key, lines in fields.items()}
            number, fields, letter = marker.group(2), {}, ""
        elif marker:
            letter = marker.group(1)
            fields.setdefault(letter, [])
        elif letter:
            fields[letter].append(line)
    if number is not None:
        yield number, {key: " ".join(lines).strip() for key, lines in fields.items()}


def load_cranfield(folder: Path) -> Collection:
    """Documents, queries and graded judgments, with the collection's traps handled.

    Judgments number queries by their position in cran.qry, not by its ``.I`` numbers;
    code -1 (one line per query, undefined by the collection) means not relevant. Fields
    may repeat (576 and 578 have two ``.W``): their texts are joined.
    """
    documents = [
        Document(number, fields["T"], fields["W"])
        for number, fields in _records(gzip.open(folder / "cran.all.1400.gz", "rt", encoding="ascii").read())
        # Records 471 and 995 are empty (no title, no text): no engine could find them.
        if fields.get("T")
    ]
    queries = [fields["W"] for _number, fields in _records((folder / "cran.qry").read_text("ascii"))]
    grades: dict[int, dict[str, int]] = {}
    for line in (folder / "cranqrel").read_text("ascii").splitlines():
        if line.strip():
            query, document, code = (int(part) for part in line.split())
            if 1 <= code <= 4:
                grades.setdefault(query, {})[str(document)] = code
    return Collection(documents, queries, grades)


def query_words(text: str) -> list[str]:
    """A natural-language query as its distinct content words, in order: English function
    words (NLTK's list and Whoosh's stop words, nothing specific to Cranfield) dropped."""
    words = re.sub(r"[^\w]+", " ", text.lower()).split()
    return list(dict.fromkeys(w for w in words if w not in FUNCTION_WORDS))


# -- the metrics ----------------------------------------------------------------------------


def ndcg(ranked: Sequence[str], grades: dict[str, int], depth: int = NDCG_DEPTH) -> float:
    """nDCG with graded gains 5 - code (code 1 = complete answer = gain 4)."""
    gains = sorted((5 - code for code in grades.values()), reverse=True)
    ideal = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains[:depth]))
    found = sum((5 - grades[doc]) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:depth]) if doc in grades)
    return found / ideal if ideal else 0.0


def average_precision(ranked: Sequence[str], grades: dict[str, int], depth: int = MAP_DEPTH) -> float:
    """AP over the first ``depth`` results, every judged code 1-4 counting as relevant."""
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranked[:depth], start=1):
        if doc in grades:
            hits += 1
            total += hits / rank
    return total / len(grades) if grades else 0.0


# -- the engines ----------------------------------------------------------------------------

RankFunction = Callable[[list[str]], list[str]]  # query words -> document ids, best first


def ours(store: IndexStore, settings: SearchSettings) -> RankFunction:
    """Our search layer; the words OR-ed in our query language."""
    service = SearchService(store, settings)

    def rank(words: list[str]) -> list[str]:
        result = service.search(SearchRequest(q=" OR ".join(words), sort=Sort.RELEVANCE, per_page=MAP_DEPTH))
        return [hit.article.id for hit in result.hits]

    return rank


def fts5(documents: Sequence[Document], folder: Path) -> RankFunction:
    """SQLite FTS5, Porter stemmer, ``bm25()`` with the title weighted 2:1."""
    db = sqlite3.connect(folder / "cranfield.sqlite")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, id UNINDEXED, tokenize='porter unicode61')")
    with db:
        db.executemany("INSERT INTO t (title, body, id) VALUES (?, ?, ?)", ((d.title, d.body, d.id) for d in documents))

    def rank(words: list[str]) -> list[str]:
        match = " OR ".join(f'"{word}"' for word in words)
        rows = db.execute(f"SELECT id FROM t WHERE t MATCH ? ORDER BY bm25(t, {TITLE_WEIGHT}, 1.0) LIMIT {MAP_DEPTH}", (match,))
        return [row[0] for row in rows]

    return rank


def tantivy_bm25(documents: Sequence[Document], folder: Path) -> RankFunction:
    """Tantivy, ``en_stem`` tokenizer, BM25, the title boosted 2:1 (OR is its default)."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="en_stem")
    builder.add_text_field("body", tokenizer_name="en_stem")
    schema = builder.build()
    index = tantivy.Index(schema, path=str(folder))
    writer = index.writer(heap_size=64_000_000)
    for document in documents:
        writer.add_document(tantivy.Document(id=document.id, title=document.title, body=document.body))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def rank(words: list[str]) -> list[str]:
        query = index.parse_query(" ".join(words), ["title", "body"], field_boosts={"title": TITLE_WEIGHT})
        return [searcher.doc(address).get_first("id") for _score, address in searcher.search(query, MAP_DEPTH).hits]

    return rank


# -- the run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    name: str
    ndcg: float
    map: float
    seconds: float


def evaluate(name: str, rank: RankFunction, collection: Collection) -> Scores:
    started = time.perf_counter()
    ndcgs, aps = [], []
    for number, text in enumerate(collection.queries, start=1):
        grades = collection.grades.get(number)
        if not grades:
            continue
        ranked = rank(query_words(text))
        ndcgs.append(ndcg(ranked, grades))
        aps.append(average_precision(ranked, grades))
    return Scores(name, sum(ndcgs) / len(ndcgs), sum(aps) / len(aps), time.perf_counter() - started)


def whoosh_per_field(store: IndexStore) -> RankFunction:
    """Whoosh's own BM25F (each field scored alone, then added) on our index and parser:
    how /api/search ranked before search/ranking.py."""
    ix = store.current().open()
    searcher = ix.searcher()
    parser = QueryParser(ix.schema, SearchSettings().title_boost, SearchSettings().max_expansions)

    def rank(words: list[str]) -> list[str]:
        hits = searcher.search(parser.parse(" OR ".join(words), searcher.reader()), limit=MAP_DEPTH)
        return [hit["id"] for hit in hits]

    return rank


def variants(sweep: bool) -> list[tuple[str, SearchSettings]]:
    """Our ranking without feedback, then the defaults (what /api/search runs); with
    ``sweep``, the defaults with one value changed at a time, to see how sensitive they are."""
    defaults = SearchSettings()
    rows = [
        ("searchsvc BM25F, no feedback", replace(defaults, ranking=replace(defaults.ranking, feedback_docs=0))),
        ("searchsvc defaults (BM25F + Bo1 feedback)", defaults),
    ]
    if sweep:
        changes = [
            {"feedback_docs": 5}, {"feedback_docs": 10}, {"feedback_terms": 5}, {"feedback_terms": 20},
            {"feedback_weight": 0.5}, {"k1": 0.9}, {"k1": 2.0}, {"b": 0.5}, {"b": 0.9},
        ]
        rows += [
            ("  " + ", ".join(f"{k}={v}" for k, v in change.items()), replace(defaults, ranking=replace(defaults.ranking, **change)))
            for change in changes
        ]
        rows += [(f"  title_boost={boost}", replace(defaults, title_boost=boost)) for boost in (1.0, 3.0)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cranfield", type=Path, default=CRANFIELD, help="folder of the Cranfield files")
    parser.add_argument("--sweep", action="store_true", help="also rank with each default changed in turn")
    args = parser.parse_args()
    if not (args.cranfield / "cran.qry").is_file():
        sys.exit(f"Cranfield collection not found in {args.cranfield} (the shared folder beside the repo)")
    collection = load_cranfield(args.cranfield)
    judged = sum(1 for n in range(1, len(collection.queries) + 1) if collection.grades.get(n))
    print(f"loaded {len(collection.documents)} documents, {len(collection.queries)} queries ({judged} judged)", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="relevance-") as tmp:
        folder = Path(tmp)
        store = IndexStore(folder / "index")
        articles = (load_article({"id": d.id, "title": d.title, "body": d.body, "section": "cranfield"}) for d in collection.documents)
        index_articles(articles, store)
        (folder / "tantivy").mkdir()
        rankers: list[tuple[str, Callable[[], RankFunction]]] = [
            ("sqlite-fts5 bm25 (title 2:1)", lambda: fts5(collection.documents, folder)),
            ("tantivy bm25 (title 2:1)", lambda: tantivy_bm25(collection.documents, folder / "tantivy")),
            ("whoosh bm25f per field (searchsvc before)", lambda: whoosh_per_field(store)),
        ]
        rankers += [(name, lambda settings=settings: ours(store, settings)) for name, settings in variants(args.sweep)]
        rows = []
        for name, make in rankers:
            print(f"ranking with {name}", file=sys.stderr)
            rows.append(evaluate(name, make(), collection))
    print(f"Cranfield: {len(collection.documents)} documents with text, {judged} judged queries "
          f"(words OR-ed, function words dropped); nDCG gain = 5 - code, MAP counts codes 1-4")
    print(f"{'ranking':<48} {'nDCG@10':>8} {'MAP@100':>8} {'seconds':>8}")
    for row in rows:
        print(f"{row.name:<48} {row.ndcg:>8.3f} {row.map:>8.3f} {row.seconds:>8.1f}")


if __name__ == "__main__":
    main()
