"""Page-number pagination: `count`, `next`, `previous`, `results`."""

from __future__ import annotations

from rest_framework import pagination

MAX_PAGE_SIZE = 500


class PageNumberPagination(pagination.PageNumberPagination):
    """`page` and `page_size` (at most 500; a larger value is capped to 500)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = (
        f"Number of results per page (default 50, at most {MAX_PAGE_SIZE}; a larger "
        f"value is capped to {MAX_PAGE_SIZE}, not refused)."
    )
    page_query_description = "Page number (1-based); a page past the end answers 404."
