"""The PESO catalog file format: validation, upsert and export (docs/catalog-format.md).

One schema (``schema.py``), written as YAML or JSON. ``load()`` parses and checks a file
strictly (``reader.py``, with each field's value checked in ``values.py``: unknown field,
wrong type, bad choice, duplicate key — each error with file, line and column);
``import_catalog()`` then checks references against the file and the database
(``references.py``) and upserts everything inside one transaction (``writer.py``);
``export_catalog()`` writes the same format back, deterministically ordered, so export →
import → export is the identity (``export.py``).
"""

from __future__ import annotations

from products.importers.catalog.export import dump, export_catalog
from products.importers.catalog.reader import load, load_path
from products.importers.catalog.records import Catalog, Rec
from products.importers.catalog.schema import FORMAT
from products.importers.catalog.writer import import_catalog

__all__ = [
    "FORMAT",
    "Catalog",
    "Rec",
    "dump",
    "export_catalog",
    "import_catalog",
    "load",
    "load_path",
]
