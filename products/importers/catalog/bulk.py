"""New rows and their history rows, inserted in bulk for large imports.

``create_with_history(objs, model, actor=...)`` writes what simple-history's
``bulk_create_with_history`` writes — each row, then one '+' history row per row with the
importer as its author — but straight through the database cursor: one multi-row
``INSERT ... RETURNING`` per batch, each value adapted once by its field, and no
historical model instance per row. Django's bulk path compiles every value of every row
through the ORM and builds a model instance per history row: most of the time of a
100,000-assessment import.

It falls back to ``bulk_create_with_history`` whenever it could not write the same rows:
a database that cannot return the ids of a bulk insert, objects that already have a
primary key, or a historical model with fields of its own beyond simple-history's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, get_change_reason_from_object

BATCH = 1000  # rows per INSERT at most (SQLite's limit on parameters may make it fewer)

# Fields whose Python value is already what the database driver takes, when it is a
# plain str, int, bool or None (anything else goes through the field).
_PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "EmailField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallAutoField",
        "SmallIntegerField",
        "TextField",
        "URLField",
    }
)
_PLAIN_TYPES = (str, int, bool, type(None))
_TEXT = frozenset({"CharField", "EmailField", "SlugField", "TextField", "URLField"})
_HISTORY_FIELDS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
}


def _adapter(field: models.Field, connection) -> Callable[[Any], Any]:
    """The function turning field's Python value into the driver's (get_db_prep_save)."""
    prep = field.get_db_prep_save
    if field.get_internal_type() in _TEXT:
        # A str subclass (a TextChoices member) is what the field would give the driver.
        return lambda v: v if v is None or isinstance(v, str) else prep(v, connection)
    if field.get_internal_type() in _PLAIN:
        return lambda v: v if type(v) in _PLAIN_TYPES else prep(v, connection)
    return lambda v: prep(v, connection)


def _pre_saves(fields: Sequence[models.Field]) -> list[models.Field]:
    """The fields whose pre_save does more than read the attribute (auto_now...)."""
    return [f for f in fields if type(f).pre_save is not models.Field.pre_save]


def _insert(
    connection, table: str, fields: Sequence[models.Field], rows: list[list], returning: str = ""
) -> list:
    """INSERT rows (lists of driver values, in the order of fields) in batches; return the
    ``returning`` column of the new rows, in their order."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, min(BATCH, connection.ops.bulk_batch_size(list(fields), rows)))
    ids: list = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            sql = f"INSERT INTO {quote(table)} ({columns}) VALUES {', '.join([one] * len(batch))}"
            if returning:
                sql += f" RETURNING {quote(returning)}"
            cursor.execute(sql, [value for row in batch for value in row])
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


def create_with_history(objs: list[models.Model], model, *, actor=None) -> None:
    """Insert objs (new, unsaved instances of model) and a '+' history row for each, by
    ``actor`` (else simple-history's default user); set each object's pk."""
    if not objs:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    history = model.history.model
    own = {f.attname for f in history._meta.concrete_fields} - _HISTORY_FIELDS
    tracked = {f.attname for f in history.tracked_fields}
    if (
        not connection.features.can_return_rows_from_bulk_insert
        or not isinstance(model._meta.pk, models.AutoField)
        or not isinstance(history._meta.pk, models.AutoField)
        or any(obj.pk is not None for obj in objs)
        or own != tracked
    ):
        bulk_create_with_history(objs, model, batch_size=BATCH, default_user=actor)
        return

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    adapt = [_adapter(f, connection) for f in fields]
    pre = _pre_saves(fields)
    rows = []
    for obj in objs:
        for field in pre:
            setattr(obj, field.attname, field.pre_save(obj, add=True))
        rows.append([a(getattr(obj, f.attname)) for f, a in zip(fields, adapt, strict=True)])
    ids = _insert(connection, model._meta.db_table, fields, rows, model._meta.pk.column)
    del rows
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias

    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    # The history rows bulk_create_with_history writes (default_change_reason=None).
    history_fields = [f for f in history._meta.concrete_fields if not f.primary_key]
    history_adapt = [_adapter(f, connection) for f in history_fields]
    default_user = actor or history.get_default_history_user(objs[0])
    now = timezone.now()
    rows = []
    for obj in objs:
        user = getattr(obj, "_history_user", default_user)
        extra = {
            "history_date": getattr(obj, "_history_date", now),
            "history_change_reason": get_change_reason_from_object(obj),
            "history_type": "+",
            "history_user_id": user.pk if user is not None else None,
        }
        rows.append(
            [
                a(extra[f.attname] if f.attname in extra else getattr(obj, f.attname))
                for f, a in zip(history_fields, history_adapt, strict=True)
            ]
        )
    _insert(connection, history._meta.db_table, history_fields, rows)
