"""Full-text search over projects.

On PostgreSQL: a weighted tsvector (title and acronym A, summary B, disease-area names C) ranked
with `ts_rank`; migration 0003 builds a GIN index on exactly this expression, so the planner can
use it. Elsewhere (SQLite in development) a case-insensitive substring match stands in.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet, Value

SEARCH_CONFIG = "english"


def project_search_vector() -> SearchVector:
    """The indexed expression. Change it only together with a migration rebuilding the index."""
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("acronym", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("disease_area_names", weight="C", config=SEARCH_CONFIG)
    )


def uses_postgres_search() -> bool:
    return connection.vendor == "postgresql"


def project_search(queryset: QuerySet, text: str) -> QuerySet:
    """`queryset` narrowed to matches for `text`, annotated with `rank` (higher is better)."""
    text = " ".join((text or "").split())
    if not text:
        return queryset.annotate(rank=Value(0.0))
    if uses_postgres_search():
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        vector = project_search_vector()
        return queryset.annotate(search=vector, rank=SearchRank(F("search"), query)).filter(
            search=query
        )
    match = Q()
    for word in text.split():
        match &= (
            Q(title__icontains=word)
            | Q(acronym__icontains=word)
            | Q(summary__icontains=word)
            | Q(disease_area_names__icontains=word)
        )
    return queryset.filter(match).annotate(rank=Value(0.0))
