"""Ranking quality guarded on every judged collection of ../shared/corpora (issue 18).

For each collection, our index is built by our indexer and every judged query is asked
through SearchService at the service's defaults, long and short (bench/relevance.py's
query forms and metrics). Two checks, each allowed 0.005 of nDCG@10:
- no collection drops below the figure recorded in tests/ranking_ndcg.json (written by
  ``bench/relevance.py --record tests/ranking_ndcg.json``);
- the defaults do not lose to plain BM25F (the same ranking with feedback off) anywhere.
A few seconds per collection (NPL, 11,429 documents, is the largest); skipped without
../shared.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench import relevance
from searchsvc.search import SearchSettings
from tests.support import shared_path

RECORDED = json.loads((Path(__file__).parent / "ranking_ndcg.json").read_text("utf-8"))
TOLERANCE = 0.005

pytestmark = pytest.mark.shared


@pytest.mark.parametrize("folder", list(relevance.LOADERS))
def test_ndcg_holds_on_each_collection_and_never_loses_to_plain_bm25f(folder: str, tmp_path: Path) -> None:
    marker, load = relevance.LOADERS[folder]
    collection = load(shared_path("corpora", folder, marker).parent)
    store = relevance.build_ours(collection, tmp_path / "index")
    defaults = SearchSettings()
    plain = replace(defaults, ranking=replace(defaults.ranking, feedback_docs=0))
    recorded = RECORDED[collection.name]
    for form, words in relevance.query_forms(collection).items():
        ours = relevance.evaluate(relevance.ours_on(store, defaults), collection, words).ndcg
        baseline = relevance.evaluate(relevance.ours_on(store, plain), collection, words).ndcg
        assert ours >= recorded[form] - TOLERANCE, f"{collection.name} {form}: nDCG@10 {ours:.3f}, recorded {recorded[form]:.3f}"
        assert ours >= baseline - TOLERANCE, f"{collection.name} {form}: defaults {ours:.3f} lose to plain BM25F {baseline:.3f}"
