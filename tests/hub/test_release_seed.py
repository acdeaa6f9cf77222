"""The seeded releases match the reference notes, read here apart from the seed."""

from __future__ import annotations

import pytest

from hub.models import Release, ReleaseItem
from hub.seed_loader import load_releases
from products.models import Product
from products.seed_loader import is_unchanged
from tests.hub.conftest import bundle_members, reference, spack_to_product_name


@pytest.mark.django_db
def test_every_e4s_release_tag_is_seeded_without_an_invented_date_or_content(seeded):
    tags = reference("e4s.yaml")["release_tags"]
    e4s = Release.objects.filter(kind="e4s", environment=False)
    assert sorted(e4s.values_list("tag", flat=True)) == sorted(tags)
    for release in e4s:
        assert release.slug == f"e4s-{release.tag.removeprefix('v')}"
        assert release.version == release.tag.removeprefix("v")
        # The reference gives neither a date nor what each tag shipped.
        assert release.date is None
        assert not release.items.exists()
    assert not Release.objects.filter(date__isnull=False).exists()


@pytest.mark.django_db
def test_xsdk_1_1_0_no_longer_ships_alquimia_exago_and_pflotran(seeded):
    dropped = {"Alquimia", "ExaGO", "PFLOTRAN"}
    old = set(Release.objects.get(slug="xsdk-1.0.0").products.values_list("name", flat=True))
    new = set(Release.objects.get(slug="xsdk-1.1.0").products.values_list("name", flat=True))
    assert dropped <= old
    assert not dropped & new
    assert Release.objects.get(slug="xsdk-1.1.0").community.slug == "xsdk"


@pytest.mark.django_db
@pytest.mark.parametrize(("bundle", "community"), [("xsdk", "xsdk"), ("ecp-data-vis-sdk", "dav")])
def test_every_bundle_version_lists_exactly_the_members_of_its_recipe(seeded, bundle, community):
    names = spack_to_product_name()
    expected = bundle_members(bundle)
    seeded_versions = Release.objects.filter(kind="bundle", slug__startswith=f"{bundle}-")
    assert sorted(r.version for r in seeded_versions) == sorted(expected)
    for release in seeded_versions:
        members = expected[release.version]
        assert release.community.slug == community
        packages = set(release.items.values_list("package", flat=True))
        assert packages == members, release.slug
        products = set(release.products.values_list("name", flat=True))
        assert products == {names[m] for m in members if m in names}, release.slug
        # Members no catalog product packages stay listed, with no product.
        unnamed = set(release.items.filter(product=None).values_list("package", flat=True))
        assert unnamed == {m for m in members if m not in names}


@pytest.mark.django_db
def test_the_current_environment_holds_the_root_specs_of_e4s_yaml(seeded):
    specs = [s for s in reference("e4s.yaml")["x86_64_cpu_env_specs"] if not s.startswith("../")]
    env = Release.objects.get(environment=True)
    assert env.kind == "e4s"
    assert sorted(env.items.values_list("package", flat=True)) == sorted(specs)
    # The product facts products.yaml keeps agree with the environment's list.
    in_env = set(env.products.values_list("slug", flat=True))
    flagged = set(
        Product.objects.filter(facts__in_e4s_x86_64_cpu_env=True).values_list("slug", flat=True)
    )
    assert in_env == flagged


@pytest.mark.django_db
def test_every_seeded_release_and_package_names_its_reference_key(seeded):
    assert not Release.objects.filter(seed_ref="").exists()
    assert not Release.objects.filter(source="").exists()
    assert not ReleaseItem.objects.filter(seed_ref="").exists()
    item = ReleaseItem.objects.get(release__slug="xsdk-1.0.0", package="alquimia")
    assert item.seed_ref == "dependencies.yaml bundle_summary.xsdk.members_1_0_0[alquimia]"
    assert Release.objects.get(slug="e4s-25.11").seed_ref == "e4s.yaml release_tags[v25.11]"


@pytest.mark.django_db
def test_loading_releases_twice_writes_nothing_and_keeps_history(seeded):
    history = (Release.history.count(), ReleaseItem.history.count())
    assert history == (Release.objects.count(), ReleaseItem.objects.count())
    assert is_unchanged(load_releases())
    assert (Release.history.count(), ReleaseItem.history.count()) == history


@pytest.mark.django_db
def test_a_package_dropped_from_a_seeded_list_is_removed_on_reload(seeded, tmp_path):
    from hub.seed_loader import SEED_PATH

    text = SEED_PATH.read_text(encoding="utf-8").replace("  - alquimia\n", "", 1)
    path = tmp_path / "hub_seed.yaml"
    path.write_text(text, encoding="utf-8")

    counts = load_releases(path=path)

    assert counts["release_items"]["removed"] == 1
    in_env = ReleaseItem.objects.filter(release__environment=True, package="alquimia")
    assert not in_env.exists()
    assert ReleaseItem.objects.filter(release__slug="xsdk-1.0.0", package="alquimia").exists()
    assert ReleaseItem.history.filter(package="alquimia", history_type="-").count() == 1
