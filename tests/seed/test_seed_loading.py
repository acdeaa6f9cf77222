"""Loading the seed into an empty database: what it skips and reports, idempotence, and
that it reads nothing outside the project."""

from __future__ import annotations

import io
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db.models import Model

from products.models import Product
from products.seed_loader import SEED_PATH, is_unchanged, load_seed


def _row_counts() -> dict[str, int]:
    """Rows per model of the apps the seed writes, historical tables included."""
    models: list[type[Model]] = [
        *apps.get_app_config("products").get_models(),
        *apps.get_app_config("spokes").get_models(),
    ]
    counts = {m._meta.label: m._default_manager.count() for m in models}
    counts["products.Product.areas"] = Product.areas.through.objects.count()
    return counts


@pytest.mark.django_db
def test_documents_outside_the_catalog_are_skipped_and_reported():
    out = StringIO()
    counts = load_seed(stdout=out)
    assert counts["compatibility_documents"] == {"imported": 27, "skipped": 2}
    assert "blaspp" in out.getvalue() and "lapackpp" in out.getvalue()
    assert not Product.objects.filter(slug__in=["blaspp", "lapackpp"]).exists()


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    first = load_seed()
    before = _row_counts()
    stamps = dict(Product.objects.values_list("slug", "updated_at"))

    second = load_seed()

    assert not is_unchanged(first)
    assert is_unchanged(second)
    assert _row_counts() == before
    assert dict(Product.objects.values_list("slug", "updated_at")) == stamps
    assert Product.history.count() == 87  # one "created" row each, no more


@pytest.mark.django_db
def test_the_command_reports_unchanged_on_a_second_run():
    call_command("load_peso_seed", stdout=StringIO())
    out = StringIO()
    call_command("load_peso_seed", stdout=out)
    assert "unchanged" in out.getvalue()
    assert "products: 87" in out.getvalue()


@pytest.mark.django_db
def test_the_loader_reads_only_the_seed_inside_the_project(monkeypatch):
    base = Path(settings.BASE_DIR).resolve()
    assert SEED_PATH.resolve().is_relative_to(base)
    opened: list[Path] = []
    real_open = io.open

    def recording_open(file, *args, **kwargs):
        if isinstance(file, (str, Path)):
            opened.append(Path(file).resolve())
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", recording_open)
    monkeypatch.setattr("builtins.open", recording_open)
    load_seed()

    assert SEED_PATH.resolve() in opened
    assert all(path.is_relative_to(base) for path in opened)
    assert not any("shared" in path.parts for path in opened)
