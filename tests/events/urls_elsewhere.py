"""The project's URL map under another path (tests/events/test_addresses.py)."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("peso_registry.urls"))]
