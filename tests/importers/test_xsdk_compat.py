"""import_xsdk_compat: status words, numbering detection and mapping, unplaced rows."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from events.models import Event
from products.importers import xsdk_compat
from products.models import Assessment
from tests.conftest import make_assessment, make_product

pytestmark = pytest.mark.django_db


def run(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def statuses(product) -> dict[str, str]:
    return {
        a.policy.code: a.status
        for a in Assessment.objects.filter(product=product).select_related("policy")
    }


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Full", "full"),
        ("*Full*", "full"),
        ("**full**", "full"),
        (" FULL ", "full"),
        ("partial", "partial"),
        ("None", "none"),
        ("No", "none"),
        ("Not Applicable", "na"),
        ("Not-Applicable", "na"),
        ("not  applicable", "na"),
        ("N/A", "na"),
        ("", ""),
        ("  ", ""),
        ("Yes", None),
        ("Nothing", None),
    ],
)
def test_status_words_are_normalised(cell, expected):
    assert xsdk_compat.normalise_status(cell) == expected


def test_a_1_0_0_file_is_imported_as_is(xsdk_set, data_dir):
    product = make_product("mathkit")
    path = data_dir / "xsdk/mathkit-policy-compatibility.md"
    out, _ = run(
        "import_xsdk_compat",
        str(path),
        product="mathkit",
        evidence_url="https://example.org/mathkit-policy-compatibility.md",
    )
    assert "numbering: 1.0.0 (has an M17 row (line 34))" in out
    got = statuses(product)
    assert got["M1"] == "full"
    assert got["M3"] == "na"  # Not-Applicable
    assert got["M4"] == "full"  # *Full*
    assert got["M6"] == "none"  # No
    assert got["M8"] == "partial"  # lower case
    assert got["M11"] == "na"  # Not Applicable, no notes
    assert got["M15"] == "full"  # FULL
    assert got["R1"] == "full" and got["R8"] == "full"
    assert got["R2"] == "na"  # N/A
    assert got["R7"] == "partial"
    assert "M14" not in got  # empty: skipped
    assert "R5" not in got  # 'Yes': not a status word
    m3 = Assessment.objects.get(product=product, policy__code="M3")
    # HTML stripped lightly.
    assert m3.justification == (
        "MathKit never calls MPI itself. All parallelism comes from the user's communicator."
    )
    m4 = Assessment.objects.get(product=product, policy__code="M4")
    assert "<a" not in m4.justification and "our CI" in m4.justification
    m11 = Assessment.objects.get(product=product, policy__code="M11")
    assert "https://example.org/mathkit-policy-compatibility.md" in m11.justification
    assert m11.source == "imported"
    assert m11.evidence_url == "https://example.org/mathkit-policy-compatibility.md"
    assert m11.policy.version == "1.0.0"
    assert "skipped: line 31: M14 has no status" in out
    assert "not placed: line 35: could not read a policy code" in out
    assert "not placed: line 47: R5: unreadable status 'Yes'" in out
    assert "assessments: 23 created, 0 updated, 0 unchanged" in out
    assert Event.objects.filter(verb="catalog_imported", product=product).exists()


def test_a_0_6_file_maps_r1_and_r8_and_reports_the_old_m10_and_m16(xsdk_set, data_dir):
    product = make_product("sparsesolve")
    summary = xsdk_compat.import_compat_path(
        str(data_dir / "xsdk/sparsesolve-policy-compatibility.md"), product="sparsesolve"
    )
    assert summary.numbering == "0.6.x"
    assert any(
        "M10 is the xSDK-team-accessible repository" in e for e in summary.numbering_evidence
    )
    got = statuses(product)
    assert got["M10"] == "full"  # from R1 "public repository"
    assert got["M17"] == "partial"  # from R8 "documentation", *Partial*
    assert got["M16"] == "full"  # the debug-build M16
    assert got["R3"] == "none"
    assert "R1" not in got and "R8" not in got  # 1.0.0's R1/R8: unknown
    reasons = {u["line"]: u["reason"] for u in summary.unplaced}
    assert "has no 1.0.0 equivalent" in reasons[21]  # the old M10
    assert "old M16" in reasons[28]
    m10 = Assessment.objects.get(product=product, policy__code="M10", policy__version="1.0.0")
    assert "Filed as R1 under the xSDK 0.6.x numbering" in m10.justification
    m17 = Assessment.objects.get(product=product, policy__code="M17")
    assert m17.justification.startswith("User guide only")
    # The 0.6.0 M10 of the set (kept for history) is untouched.
    assert not Assessment.objects.filter(policy__version="0.6.0").exists()


def test_a_0_5_file_merges_old_m1_and_m16_into_m1_with_the_weaker_status(xsdk_set, data_dir):
    product = make_product("oldlib")
    out, _ = run(
        "import_xsdk_compat",
        str(data_dir / "xsdk/oldlib-policy-compatability.md"),
        product="oldlib",
    )
    assert "numbering: 0.5.x" in out
    assert "M1 is about Autoconf/CMake options" in out
    got = statuses(product)
    assert got["M1"] == "partial"  # Full (old M1) and Partial (old M16): the weaker
    assert "M16" not in got  # 1.0.0's debug-build M16: unknown
    assert got["M10"] == "none"  # R1 "No"
    assert got["M17"] == "full"  # R8
    m1 = Assessment.objects.get(product=product, policy__code="M1")
    assert "M1: CMake options follow the xSDK list." in m1.justification
    assert "M16: Installs through the xSDK script" in m1.justification
    assert "the weaker status was kept" in m1.justification
    assert "M10 of 0.5.x" in out


def test_reimporting_changes_nothing_and_an_edit_updates_with_history(xsdk_set, data_dir, tmp_path):
    product = make_product("mathkit")
    path = data_dir / "xsdk/mathkit-policy-compatibility.md"
    run("import_xsdk_compat", str(path), product="mathkit")
    out, _ = run("import_xsdk_compat", str(path), product="mathkit")
    assert "assessments: 0 created, 0 updated, 23 unchanged" in out
    edited = tmp_path / "mathkit-policy-compatibility.md"
    edited.write_text(path.read_text().replace("|No| We install", "|Full| We install"))
    # Same file name: the justifications that point at the file stay the same.
    out, _ = run("import_xsdk_compat", str(edited), product="mathkit")
    assert "assessments: 0 created, 1 updated, 22 unchanged" in out
    m6 = Assessment.objects.get(product=product, policy__code="M6")
    assert m6.status == "full"
    assert m6.history.count() == 2


def test_an_existing_self_assessment_is_replaced_by_the_imported_one(xsdk_set, data_dir):
    product = make_product("mathkit")
    make_assessment(product, xsdk_set.policies.get(code="M6", version="1.0.0"), "full")
    run(
        "import_xsdk_compat",
        str(data_dir / "xsdk/mathkit-policy-compatibility.md"),
        product="mathkit",
    )
    m6 = Assessment.objects.get(product=product, policy__code="M6")
    assert (m6.status, m6.source) == ("none", "imported")


def test_a_dry_run_reports_and_writes_nothing(xsdk_set, data_dir):
    make_product("mathkit")
    out, _ = run(
        "import_xsdk_compat",
        str(data_dir / "xsdk/mathkit-policy-compatibility.md"),
        product="mathkit",
        dry_run=True,
    )
    assert "assessments: 23 created" in out
    assert not Assessment.objects.exists()
    assert not Event.objects.exists()


def test_a_file_with_no_policy_table_is_rejected_with_file_and_line(xsdk_set, data_dir):
    make_product("notable")
    path = data_dir / "xsdk/no-table.md"
    with pytest.raises(CommandError) as excinfo:
        run("import_xsdk_compat", str(path), product="notable")
    assert str(excinfo.value).startswith(f"{path}:5:1: no readable policy table")
    assert not Assessment.objects.exists()


def test_an_unknown_product_is_an_error(xsdk_set, data_dir):
    with pytest.raises(CommandError, match="no product 'ghost'"):
        run(
            "import_xsdk_compat",
            str(data_dir / "xsdk/mathkit-policy-compatibility.md"),
            product="ghost",
        )


def test_numbering_detection_falls_back_to_0_6_and_says_so():
    rows, _ = xsdk_compat.parse_rows("| **M2.** Tests | Full | |\n", "f.md")
    numbering, evidence = xsdk_compat.detect_numbering(rows)
    assert numbering == "0.6.x"
    assert "0.6.x is what most filed documents use" in evidence[-1]


def test_r1_as_the_spack_smoke_test_means_1_0_0_even_without_m17():
    rows, _ = xsdk_compat.parse_rows(
        "| **M1.** Spack | Full | |\n"
        "| **R1.** At least one validation test invoked through Spack | Full | |\n",
        "f.md",
    )
    assert xsdk_compat.detect_numbering(rows)[0] == "1.0.0"
