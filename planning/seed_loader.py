"""Load the meetings shipped with the project (``planning/seed/planning_seed.yaml``).

``load_meetings`` upserts each meeting by slug, the way ``products.seed_loader`` upserts the
catalog: a row is saved only when a field the seed knows about differs, so a second run
writes nothing. The seed names no participating community and no agenda; a seeded meeting
keeps whatever was recorded on it since.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.db import transaction

from planning.models import Meeting
from products import seed_loader as products_seed
from products.seed_loader import Tally, _index, _upsert

# The data file lives inside the project: the app never reads ../shared at run time.
SEED_PATH = Path(__file__).resolve().parent / "seed" / "planning_seed.yaml"
SEED_FORMAT = 1
FIELDS = ("title", "kind", "format", "place", "source", "seed_ref")


def read_seed(path: Path) -> dict:
    return products_seed.read_seed(
        path, kind="PESO planning seed", sections=("meetings",), version=SEED_FORMAT
    )


def load_meetings(*, path: Path | str | None = None) -> dict:
    """Load the meetings into the database; return outcome counts."""
    data = read_seed(Path(path) if path else SEED_PATH)
    tally = Tally()
    with transaction.atomic():
        meetings = _index(Meeting.objects.all(), "slug")
        for entry in data["meetings"]:
            values = {name: entry.get(name) or "" for name in FIELDS}
            values["starts"] = datetime.date.fromisoformat(str(entry["starts"]))
            values["ends"] = datetime.date.fromisoformat(str(entry["ends"]))
            current = meetings.get((entry["slug"],))
            tally.add("meetings", _upsert(Meeting, current, {"slug": entry["slug"]}, values)[1])
    return tally.as_dict()


def meeting_totals() -> dict[str, int]:
    return {"meetings": Meeting.objects.count()}
