"""Full-text search over projects, limited to the text the person may see.

A person outside a members-only project sees its card (title, acronym, disease areas) and not
its summary, so for them a query matches, ranks and counts only the card's text; those who may
read the whole project (`full_text`, the policy's view-details rule) search all of it. Both in
the one statement that lists the catalogue: a summary word never finds, counts or reorders a
project whose summary the person may not read.

On PostgreSQL: the stored weighted tsvectors `Project.search_vector` (title and acronym A,
summary B, disease-area names C) and `Project.card_search_vector` (the same without the
summary), kept by a trigger (migrations 0006, 0007), matched through their GIN indexes and
ranked with `ts_rank` — only the matched rows are ranked, and nothing is parsed at query time.
Elsewhere (SQLite in development) a case-insensitive substring match stands in.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Q, QuerySet, Value, When

SEARCH_CONFIG = "english"
CARD_FIELDS = ("title", "acronym", "disease_area_names")
FULL_ONLY_FIELDS = ("summary",)


def uses_postgres_search() -> bool:
    return connection.vendor == "postgresql"


def _reads_whole(full_text: Q) -> Case:
    """True for the rows whose whole text the person may search (SQL NULL reads as False)."""
    return Case(
        When(Q(pk__isnull=False) & full_text, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def project_search(queryset: QuerySet, text: str, *, full_text: Q) -> QuerySet:
    """`queryset` narrowed to matches for `text`, annotated with `rank` (higher is better).

    `full_text`: the condition (a policy Q on projects) under which every text field may match;
    on other rows only the public card's fields match, rank and so count."""
    text = " ".join((text or "").split())
    if not text:
        return queryset.annotate(rank=Value(0.0))
    if uses_postgres_search():
        return _postgres_search(queryset, text, full_text)
    match = Q()
    for word in text.split():
        card = Q()
        for name in CARD_FIELDS:
            card |= Q(**{f"{name}__icontains": word})
        whole = Q()
        for name in FULL_ONLY_FIELDS:
            whole |= Q(**{f"{name}__icontains": word})
        match &= card | (Q(search_whole=True) & whole)
    return (
        queryset.alias(search_whole=_reads_whole(full_text)).filter(match).annotate(rank=Value(0.0))
    )


def _postgres_search(queryset: QuerySet, text: str, full_text: Q) -> QuerySet:
    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    # The first filter lets each GIN index find its candidates (a bitmap OR); the second keeps
    # a row only when the vector the person may search matches — a query with a negated word
    # may match the card and not the whole text, so neither vector alone decides.
    return (
        queryset.alias(search_whole=_reads_whole(full_text))
        .filter(Q(search_vector=query) | Q(card_search_vector=query))
        .filter(
            Q(search_whole=True, search_vector=query)
            | Q(search_whole=False, card_search_vector=query)
        )
        .annotate(
            rank=Case(
                When(search_whole=True, then=SearchRank(F("search_vector"), query)),
                default=SearchRank(F("card_search_vector"), query),
                output_field=FloatField(),
            )
        )
    )
