"""Synonyms: words and phrases a publisher declares interchangeable, applied at query time.

The file has one group per line, members separated by commas; ``#`` starts a comment:

    car, automobile
    usa, u.s., united states      # a member of several words is matched as a phrase

A query word (or quoted phrase) that is a member of a group becomes an OR of all the
group's members, in the same field and with the same boost: ``cars`` also finds
``automobiles``. Members are compared as the index analyzes them (lowercase, stemmed),
so every inflection counts. Applying them at query time means a changed file takes
effect at the next start, without reindexing.

Stop words are not indexed, so a member that is only a stop word (``us``) can neither
match nor be matched; :meth:`Synonyms.load` reports such members.
"""

from __future__ import annotations

import logging
from pathlib import Path

from whoosh import query as wq
from whoosh.analysis import Analyzer

log = logging.getLogger(__name__)

EXPANDED_FIELDS = ("title", "body")


class SynonymsError(ValueError):
    """A synonyms file that cannot be used, with the line at fault."""


class Synonyms:
    """Groups of interchangeable members, each member as the analyzed words it stands for."""

    def __init__(self, groups: list[list[tuple[str, ...]]]) -> None:
        self._groups: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for group in groups:
            for member in group:
                self._groups.setdefault(member, [])
                self._groups[member] += [other for other in group if other not in self._groups[member]]

    @classmethod
    def load(cls, path: Path, analyzer: Analyzer) -> "Synonyms":
        """Read a synonyms file; raise SynonymsError naming the line of a bad group."""
        groups = []
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            members = [part.strip() for part in line.split("#", 1)[0].split(",") if part.strip()]
            if not members:
                continue
            if len(members) < 2:
                raise SynonymsError(f"{path}:{number}: a group needs at least two members, comma-separated")
            analyzed = []
            for member in members:
                words = tuple(token.text for token in analyzer(member, mode="query"))
                if words:
                    analyzed.append(words)
                else:
                    log.warning("%s:%d: %r is only stop words (not indexed): ignored", path, number, member)
            if len(analyzed) > 1:
                groups.append(analyzed)
        return cls(groups)

    def __bool__(self) -> bool:
        return bool(self._groups)

    def expand(self, parsed: wq.Query) -> wq.Query:
        """``parsed`` with each word or phrase that belongs to a group replaced by the group."""
        if not self._groups:
            return parsed

        def expand(node: wq.Query) -> wq.Query:
            if not node.is_leaf():
                return node.apply(expand)
            if getattr(node, "fieldname", None) not in EXPANDED_FIELDS:
                return node
            if type(node) is wq.Term:
                key: tuple[str, ...] = (node.text,)
            elif isinstance(node, wq.Phrase):
                key = tuple(node.words)
            else:
                return node
            group = self._groups.get(key)
            if group is None:
                return node
            return wq.Or([_member_query(node.fieldname, member, node.boost) for member in group])

        return expand(parsed).normalize()


def _member_query(fieldname: str, words: tuple[str, ...], boost: float) -> wq.Query:
    if len(words) == 1:
        return wq.Term(fieldname, words[0], boost=boost)
    return wq.Phrase(fieldname, list(words), boost=boost)
