"""The API router (api/v1/). Each app's api module adds its viewsets in `register`."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.routers import DefaultRouter

from events import api as events_api
from funding import api as funding_api
from hub import api as hub_api
from lifecycle import api as lifecycle_api
from planning import api as planning_api
from products import api as products_api
from products import imports_api, waivers_api
from spokes import api as spokes_api

router = DefaultRouter()
for module in (
    spokes_api,
    products_api,
    events_api,
    lifecycle_api,
    imports_api,
    waivers_api,
    hub_api,
    funding_api,
    planning_api,
):
    module.register(router)


@csrf_exempt  # writes nothing; a PATCH to a wrong address is a JSON 404, not a CSRF page
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any other address under api/: a JSON 404, like the API's own."""
    return JsonResponse({"detail": "No API endpoint at this address."}, status=404)
