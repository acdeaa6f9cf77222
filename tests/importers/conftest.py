"""Fixtures for the importer tests: data files and an xSDK 1.0.0 policy set."""

from __future__ import annotations

from pathlib import Path

import pytest

from spokes.models import Policy
from tests.conftest import make_policy, make_policy_set

DATA = Path(__file__).parent / "data"

XSDK_TITLES = {
    "M1": "Support portable installation through Spack",
    "M2": "Provide a comprehensive test suite for correctness of installation verification",
    "M3": "Employ user-provided MPI communicator (no MPI_COMM_WORLD)",
    "M4": "Give best effort at portability to key architectures",
    "M5": "Provide a documented, reliable way to contact the development team",
    "M6": "Respect system resources and settings made by other previously called packages",
    "M7": "Come with an open source (BSD style) license",
    "M8": "Provide a runtime API to return the current version number of the software",
    "M9": "Use a limited and well-defined symbol, macro, library, and include file name space",
    "M10": "Provide a publicly available repository",
    "M11": "Have no hardwired print or IO statements that cannot be turned off",
    "M12": "For external dependencies, allow installing, building, and linking against an "
    "outside copy of external software",
    "M13": "Install headers and libraries under <prefix>/include and <prefix>/lib",
    "M14": "Be buildable using 64 bit pointers; 32 bit is optional",
    "M15": "All xSDK compatibility changes should be sustainable",
    "M16": "Have a debug build option",
    "M17": "Provide sufficient documentation to support use and further development",
    "R1": "At least one validation (smoke) test that can be invoked through the Spack package",
    "R2": "Possible to run test suite under Valgrind",
    "R3": "Adopt and document consistent system for error conditions/exceptions",
    "R4": "Free all system resources acquired as soon as they are no longer needed",
    "R5": "Provide a mechanism to export ordered list of library dependencies",
    "R6": "Document versions of packages that it works with or depends upon",
    "R7": "Have README, SUPPORT, LICENSE, and CHANGELOG files in top directory",
    "R8": "Provide version comparison preprocessor macros",
}


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def xsdk_set(policy_set):
    """xSDK 1.0.0 (base: the conftest's base set), plus an old 0.6 M10 kept for history."""
    ps = make_policy_set(
        "xsdk", name="xSDK Community Package Policies", version="1.0.0", base=policy_set
    )
    for position, (code, title) in enumerate(XSDK_TITLES.items()):
        level = Policy.Level.MANDATORY if code.startswith("M") else Policy.Level.RECOMMENDED
        make_policy(ps, code, title=title, level=level, position=position)
    make_policy(ps, "M10", version="0.6.0", title="Provide an xSDK team accessible repository")
    return ps
