"""Content types (and so the permissions granted on them) follow the models that moved:
requests, decisions and votes to the lifecycle app, events to the events app. A content type
the new app already has (created by an earlier ``migrate``) is left, and the old one removed."""

from django.db import migrations

MOVED = [
    ("products", "lifecyclerequest", "lifecycle"),
    ("products", "historicallifecyclerequest", "lifecycle"),
    ("spokes", "decision", "lifecycle"),
    ("spokes", "vote", "lifecycle"),
    ("products", "event", "events"),
]


def _move(apps, moves):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, model, new_app in moves:
        old = ContentType.objects.filter(app_label=old_app, model=model).first()
        if old is None:
            continue
        if ContentType.objects.filter(app_label=new_app, model=model).exists():
            old.delete()
        else:
            old.app_label = new_app
            old.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _move(apps, MOVED)


def backwards(apps, schema_editor):
    _move(apps, [(new, model, old) for old, model, new in MOVED])


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("lifecycle", "0001_initial"),
        ("events", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
