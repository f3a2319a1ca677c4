"""Full-text search over projects.

On PostgreSQL: the stored weighted tsvector `Project.search_vector` (title and acronym A,
summary B, disease-area names C; kept by a trigger, see migration 0006) matched through its GIN
index and ranked with `ts_rank` — only the matched rows are ranked, and nothing is parsed at
query time. Elsewhere (SQLite in development) a case-insensitive substring match stands in.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, QuerySet, Value

SEARCH_CONFIG = "english"


def uses_postgres_search() -> bool:
    return connection.vendor == "postgresql"


def project_search(queryset: QuerySet, text: str) -> QuerySet:
    """`queryset` narrowed to matches for `text`, annotated with `rank` (higher is better)."""
    text = " ".join((text or "").split())
    if not text:
        return queryset.annotate(rank=Value(0.0))
    if uses_postgres_search():
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        return queryset.filter(search_vector=query).annotate(
            rank=SearchRank(F("search_vector"), query)
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
