from __future__ import annotations

import pytest
from django.db import connection

from products.models import Product
from products.search import search_products
from tests.conftest import make_product


@pytest.mark.django_db
def test_search_finds_products_by_words_of_their_summary_and_stems():
    make_product("petsc", summary="Scalable solvers for partial differential equations")
    make_product("paraview", summary="Visualization of large data")
    found = search_products(Product.objects.all(), "solver equation")
    assert [p.slug for p in found] == ["petsc"]


@pytest.mark.django_db
def test_the_search_index_exists_and_is_used_by_the_planner():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'product_search_gin'")
        (indexdef,) = cursor.fetchone()
    assert "gin" in indexdef.lower() and "to_tsvector" in indexdef
    # No ORDER BY: the ordering index on name must not compete with the search index.
    queryset = search_products(Product.objects.order_by(), "solver")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = queryset.explain()
        cursor.execute("SET enable_seqscan = on")
    assert "product_search_gin" in plan
