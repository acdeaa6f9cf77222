"""Serializer fields shared by the API's representations."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.URI)
class AbsoluteURLField(serializers.Field):
    """A page's address (`source="get_absolute_url"`), absolute like every URL the API
    sends: built on the request's scheme and host (its path alone when serialized outside
    a request)."""

    def __init__(self, **kwargs) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(value) if request is not None else str(value)
