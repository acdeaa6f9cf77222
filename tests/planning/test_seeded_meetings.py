"""The seeded meetings are exactly those the reference notes name (practice.yaml
`meetings:`, a verbatim copy read here apart from the seed), and nothing more."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml

from planning.models import Meeting
from planning.seed_loader import load_meetings
from products.seed_loader import is_unchanged

REFERENCE = Path(__file__).resolve().parent / "reference" / "practice.yaml"
KINDS = {"in-person workshop": ("workshop", "in_person"), "town hall": ("town_hall", "")}

pytestmark = pytest.mark.django_db


def test_the_seeded_meetings_are_the_reference_s_and_no_more():
    load_meetings()
    expected = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))["meetings"]
    assert sorted(Meeting.objects.values_list("slug", flat=True)) == sorted(
        m["slug"] for m in expected
    )
    for entry in expected:
        meeting = Meeting.objects.get(slug=entry["slug"])
        assert meeting.title == entry["title"]
        assert meeting.starts == entry["starts"]
        assert meeting.ends == entry["ends"]
        assert isinstance(meeting.starts, datetime.date)
        assert meeting.place == (entry["place"] or "")
        assert (meeting.kind, meeting.format) == KINDS[entry["kind"]]
        assert meeting.source == f"seed page {entry['seed']}"
        assert meeting.seed_ref == f"practice.yaml meetings[{entry['slug']}]"
        # No source names who took part, an agenda or an outcome.
        assert not meeting.communities.exists()
        assert not meeting.agenda_items.exists()
        assert not meeting.outcomes.exists()


def test_loading_the_meetings_again_changes_nothing():
    load_meetings()
    assert is_unchanged(load_meetings())
