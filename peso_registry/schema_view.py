"""The view that serves the OpenAPI document (apart from schema.py, which DRF imports
while drf-spectacular's views are still loading)."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    """The OpenAPI document, built once per process and version and then served from
    memory: it depends on the code alone, so serving it is cheap and needs no throttle
    (whose count would live in the database cache, and the schema touches no database)."""

    throttle_classes: list = []
    _built: dict = {}

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        if not self.serve_public:  # a schema per user: nothing to keep
            return super()._get_schema_response(request)
        if version not in self._built:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            self._built[version] = generator.get_schema(request=request, public=True)
        filename = self._get_filename(request, version)
        return Response(
            data=self._built[version],
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )
