"""URL map: pages, the API router at api/v1/, the schema and its docs, admin."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView

from accounts.forms import AdminSignInForm
from peso_registry import views
from peso_registry.api import not_found, router
from peso_registry.schema_view import SchemaView

# The admin's sign-in page counts failures like the site's own (accounts/signin.py).
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/v1/schema/", SchemaView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script=), not inline,
    # so the docs page runs under the site's Content-Security-Policy unchanged.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    re_path(r"^api/", not_found, name="api-not-found"),
    path("", include("accounts.urls")),
    path("", include("spokes.urls")),
    path("", include("products.urls")),
    path("", include("events.urls")),
    path("", include("lifecycle.urls")),
    path("", include("hub.urls")),
    path("", include("funding.urls")),
    path("", include("planning.urls")),
]
