"""Full-text search over products.

On PostgreSQL: a `SearchVector` over name, slug, summary and description, matched with
`websearch_to_tsquery` and backed by a GIN expression index (migration
0002_product_search_index builds it from the same expression, so the planner uses it).
Elsewhere (SQLite): every word of the query must appear, case-insensitively, in one of
the same fields.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

FIELDS = ("name", "slug", "summary", "description")
CONFIG = "english"


def search_vector() -> SearchVector:
    return SearchVector(*FIELDS, config=CONFIG)


def search_products(queryset: QuerySet, query: str, *, rank: bool = False) -> QuerySet:
    query = query.strip()
    if not query:
        return queryset
    if connection.vendor == "postgresql":
        ts_query = SearchQuery(query, config=CONFIG, search_type="websearch")
        queryset = queryset.annotate(_search=search_vector()).filter(_search=ts_query)
        if rank:
            queryset = queryset.annotate(
                search_rank=SearchRank(search_vector(), ts_query)
            ).order_by("-search_rank", "name")
        return queryset
    condition = Q()
    for word in query.split():
        word_q = Q()
        for field in FIELDS:
            word_q |= Q(**{f"{field}__icontains": word})
        condition &= word_q
    return queryset.filter(condition)
