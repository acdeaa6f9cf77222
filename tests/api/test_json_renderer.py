"""The API's JSON renderer writes what DRF's own would, byte for byte, on real lists."""

from __future__ import annotations

import datetime
import decimal
import json

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from peso_registry.renderers import FastJSONRenderer
from products.seed_loader import load_seed


def test_it_writes_what_drf_writes_for_the_awkward_types():
    data = {
        "when": datetime.datetime(2026, 12, 2, 9, 54, 11, 123456, tzinfo=datetime.UTC),
        "day": datetime.date(2026, 12, 2),
        "amount": decimal.Decimal("12.50"),
        "lazy": gettext_lazy("Products"),
        "text": "naïve — ünïcode",
        1: "a number as a key",
        "nested": [{"none": None, "yes": True, "n": 3, "x": 1.5}],
    }
    ours = FastJSONRenderer().render(data, "application/json")
    theirs = JSONRenderer().render(data, "application/json")
    assert json.loads(ours) == json.loads(theirs)
    assert ours == theirs


@pytest.mark.django_db
def test_the_seeded_product_list_is_the_same_as_drfs_rendering(client):
    load_seed()
    response = client.get("/api/v1/products/?page_size=200")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["count"] >= 80
    assert response.content == JSONRenderer().render(body, "application/json")
    # An indented response is still DRF's own.
    indented = client.get("/api/v1/products/?page_size=2", HTTP_ACCEPT="application/json; indent=2")
    assert b'\n  "count"' in indented.content
