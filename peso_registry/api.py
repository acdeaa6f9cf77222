"""The API router (api/v1/). Each app's api module adds its viewsets in `register`."""

from rest_framework.routers import DefaultRouter

from products import api as products_api
from products import imports_api, lifecycle_api
from spokes import api as spokes_api

router = DefaultRouter()
for module in (spokes_api, products_api, lifecycle_api, imports_api):
    module.register(router)
