"""Page-number pagination: `count`, `next`, `previous`, `results`."""

from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE_SIZE = 500


class PageNumberPagination(pagination.PageNumberPagination):
    """`page` and `page_size` (at most 500; a larger value is capped to 500).

    A `page_size` that is not a positive integer answers 400 (DRF would silently use the
    default, so a typo went unnoticed).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = (
        f"Number of results per page (default 50, at most {MAX_PAGE_SIZE}; a larger "
        f"value is capped to {MAX_PAGE_SIZE}, not refused; not a positive integer: 400)."
    )
    page_query_description = "Page number (1-based); a page past the end answers 404."

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1 or not raw.strip().isdigit():
            raise ValidationError({self.page_size_query_param: ["A positive integer is required."]})
        return min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        """`page` as sent: a blank one is invalid (404) like any other, not page 1."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        return raw

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"]["minimum"] = 1
        return parameters
