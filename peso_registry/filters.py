"""The API's filter backend: django-filter's, refusing a query parameter a list does not take.

A typo in a filter (`?spoke=xsdk` for `?community=xsdk`) used to be ignored, and the
client got the whole list as if it had matched; now it is a 400 naming the parameters
the list takes.
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings


def list_parameters(view, filterset_class) -> set[str]:
    """The query parameters a list endpoint takes: its filters (ordering and `q` among
    them when the filter set has them), the paginator's, and `format`."""
    names = {api_settings.URL_FORMAT_OVERRIDE}
    if filterset_class is not None:
        names.update(filterset_class.base_filters)
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        for attribute in ("page_query_param", "page_size_query_param"):
            name = getattr(paginator, attribute, None)
            if name:
                names.add(name)
    names.discard(None)
    return names


class StrictFilterBackend(DjangoFilterBackend):
    """On a list: a 400 for each query parameter it does not take, naming the valid ones
    (``{"spoke": ["Unknown query parameter. Valid: community, compliance, ..."]}``)."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) == "list":
            valid = list_parameters(view, self.get_filterset_class(view, queryset))
            unknown = sorted(set(request.query_params) - valid)
            if unknown:
                message = f"Unknown query parameter. Valid: {', '.join(sorted(valid))}."
                raise ValidationError({name: [message] for name in unknown})
        return super().filter_queryset(request, queryset, view)
