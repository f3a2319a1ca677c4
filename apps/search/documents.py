"""How a search text becomes SQL: the full-text document of a row and the parsed query.

`Document` renders exactly the expression the GIN indexes of migration 0001 are built on
(`to_tsvector('english'::regconfig, coalesce(a, '') || ' ' || coalesce(b, ''))`), so the
planner answers `document @@ query` from the index. `Terms` is what a person typed, cut into
words: each becomes a stemmed prefix (`eosin:*`), all of them required, so a half-typed word
already matches while the person is still typing.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db.models import Expression, F

SEARCH_CONFIG = "english"
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
# ts_headline's highlight markers: private-use characters that no one types, turned into
# <mark> only after the snippet's own text has been escaped (`apps.search.snippets`).
MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"

_WORD = re.compile(r"[^\W_]+")


class Document(Expression):
    """`to_tsvector('english', coalesce(f1, '') || ' ' || …)` over the named fields."""

    output_field = SearchVectorField()

    def __init__(self, *fields: str):
        super().__init__()
        self.fields = [F(name) for name in fields]

    def get_source_expressions(self):
        return self.fields

    def set_source_expressions(self, exprs):
        self.fields = list(exprs)

    def resolve_expression(self, *args, **kwargs):
        clone = self.copy()
        clone.fields = [field.resolve_expression(*args, **kwargs) for field in self.fields]
        return clone

    def as_sql(self, compiler, connection):
        parts, params = [], []
        for field in self.fields:
            sql, field_params = compiler.compile(field)
            parts.append(f"coalesce({sql}, '')")
            params.extend(field_params)
        return f"to_tsvector('english'::regconfig, {' || '.join(_spaced(parts))})", params


class StoredVector(Expression):
    """A stored tsvector column that is not a model field (migration search/0001 adds
    `search_document` and `search_title` to each searchable table), on the query's own table."""

    output_field = SearchVectorField()

    def __init__(self, column: str):
        super().__init__()
        self.column = column

    def resolve_expression(self, query=None, *args, **kwargs):
        clone = self.copy()
        clone.alias = query.get_initial_alias() if query is not None else None
        return clone

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(self.alias)
        return f"{alias}.{connection.ops.quote_name(self.column)}", []


def _spaced(parts: list[str]) -> list[str]:
    out: list[str] = []
    for index, part in enumerate(parts):
        if index:
            out.append("' '")
        out.append(part)
    return out


@dataclass(frozen=True)
class Terms:
    """A search text, tidied: `text` (spaces collapsed, at most 200 characters) and `words`
    (lower-case letters and digits, at most eight)."""

    text: str
    words: tuple[str, ...]

    @classmethod
    def parse(cls, raw: str | None) -> "Terms":
        text = " ".join((raw or "").split())[:MAX_QUERY_LENGTH]
        words = tuple(_WORD.findall(text.lower()))[:MAX_WORDS]
        return cls(text=text, words=words)

    def __bool__(self) -> bool:
        return bool(self.words)

    @property
    def prefix_query(self) -> str:
        """`to_tsquery` text: every word a prefix, all required. Only letters and digits reach
        it, so no operator a person types can change its meaning."""
        return " & ".join(f"{word}:*" for word in self.words)

    def tsquery(self) -> SearchQuery:
        return SearchQuery(self.prefix_query, search_type="raw", config=SEARCH_CONFIG)

    @property
    def single_token(self) -> str:
        """The text as one code-like token ("D2.1", "J45", "04t8h7q52"), or ""."""
        return self.text if self.text and " " not in self.text else ""
