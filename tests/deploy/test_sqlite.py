"""SQLite as a real deployment target: concurrent writers queue instead of failing."""

from __future__ import annotations

import os

from tests.deploy.conftest import manage, python

WRITERS = r"""
import threading
import django
django.setup()
from django.db import connection, transaction
from products.models import Product
from events.models import Event

Product.objects.create(slug="counter", name="Counter")
errors = []

def writer(n):
    try:
        for i in range(15):
            with transaction.atomic():
                # Read then write in one transaction: the pattern that deadlocks under
                # DEFERRED transactions ("database is locked") and must queue here.
                product = Product.objects.get(slug="counter")
                product.summary = f"writer {n} pass {i}"
                product.save()
                Event.objects.create(verb="test_write", product=product)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("errors", len(errors), errors[:3])
print("events", Event.objects.filter(verb="test_write").count())
"""


def test_concurrent_writers_on_sqlite_never_see_database_is_locked(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "peso_registry.settings",
    }
    migrate = manage("migrate", "-v0", env=env)
    assert migrate.returncode == 0, migrate.stderr
    result = python(["-c", WRITERS], env)
    assert result.returncode == 0, result.stderr
    assert "errors 0 []" in result.stdout, result.stdout
    assert "events 90" in result.stdout
