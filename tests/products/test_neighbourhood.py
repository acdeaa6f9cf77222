"""The product page's dependency neighbourhood: an inline SVG of the product, what it
depends on and what depends on it, each node a link, members of a spoke marked in shape
and words, optional dependencies dashed, at most PER_SIDE nodes a side, readable by
screen readers and escaped for XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.neighbourhood import PER_SIDE, neighbourhood
from spokes.models import Community
from tests.conftest import make_community, make_dependency, make_membership, make_product

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def pictures(html: str) -> dict[str, ET.Element]:
    """The page's neighbourhood SVGs by layout, parsed as XML (a parse error fails)."""
    found = {}
    for match in re.finditer(
        r'<svg xmlns="http://www.w3.org/2000/svg" class="picture nb nb-(\w+)"', html
    ):
        end = html.index("</svg>", match.start()) + len("</svg>")
        found[match.group(1)] = ET.fromstring(html[match.start() : end])
    return found


def links(svg: ET.Element) -> dict[str, str]:
    """{href: aria-label} of every link in the picture."""
    return {a.get("href"): a.get("aria-label") for a in svg.iter(f"{SVG}a")}


def texts(svg: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]


@pytest.fixture
def world(community):
    """widget depends on blas (required; a member of Alpha SDK) and cuda (optional, when
    +gpu); app depends on widget."""
    widget = make_product("widget", name="Widget")
    make_membership(widget, community)
    blas = make_product("blas", name="BLAS")
    make_membership(blas, community)
    cuda = make_product("cuda", name="CUDA")
    make_membership(cuda, community, state="offramped")  # a past member is not marked
    app = make_product("app", name="App")
    make_dependency(widget, blas)
    make_dependency(widget, cuda, kind="optional", when="+gpu")
    make_dependency(app, widget)
    return widget


def test_the_picture_shows_each_neighbour_as_a_link_to_its_page(client, world):
    html = client.get("/products/widget/").content.decode()
    drawn = pictures(html)
    assert set(drawn) == {"wide", "narrow"}
    for svg in drawn.values():
        assert set(links(svg)) == {
            "/products/blas/",
            "/products/cuda/",
            "/products/app/",
            "/products/widget/",
        }
        words = texts(svg)
        assert "It depends on (2)" in words and "Depend on it (1)" in words
        assert {"BLAS", "CUDA", "App", "Widget"} <= set(words)


def test_members_of_a_spoke_are_marked_in_shape_and_words(client, world):
    svg = pictures(client.get("/products/widget/").content.decode())["wide"]
    labels = links(svg)
    assert labels["/products/blas/"] == "BLAS, a dependency of Widget, member of Alpha SDK"
    assert labels["/products/cuda/"] == "CUDA, a dependency of Widget, optional (when +gpu)"
    assert labels["/products/app/"] == "App, depends on Widget"
    nodes = {
        a.get("href"): a.find(f"{SVG}g")
        for a in svg.iter(f"{SVG}a")
        if a.find(f"{SVG}g") is not None
    }
    blas, cuda = nodes["/products/blas/"], nodes["/products/cuda/"]
    assert "nb-member" in blas.get("class") and "nb-member" not in cuda.get("class")
    # The double border and the text marker, not a colour alone.
    assert len(blas.findall(f"{SVG}rect")) == 2 and len(cuda.findall(f"{SVG}rect")) == 1
    assert "\u2713 Alpha SDK" in ["".join(t.itertext()) for t in blas.iter(f"{SVG}text")]


def test_an_optional_dependency_is_dashed_and_a_required_one_is_not(client, world):
    svg = pictures(client.get("/products/widget/").content.decode())["wide"]
    edges = [p for p in svg.iter(f"{SVG}path") if "nb-edge" in (p.get("class") or "")]
    assert len(edges) == 3  # app → widget, widget → blas, widget → cuda
    dashed = [p for p in edges if p.get("stroke-dasharray")]
    assert len(dashed) == 1 and "nb-optional" in dashed[0].get("class")


def test_the_picture_has_an_accessible_name_and_description(client, world):
    html = client.get("/products/widget/").content.decode()
    for layout, svg in pictures(html).items():
        ids = svg.get("aria-labelledby").split()
        by_id = {el.get("id"): "".join(el.itertext()) for el in svg.iter() if el.get("id")}
        assert by_id[ids[0]] == "Dependency neighbourhood of Widget", layout
        assert by_id[ids[1]].startswith("Widget depends on 2 products and 1 product depends on it")
    # The lists beside it say the same in words, membership included.
    assert re.search(
        r'href="/products/blas/">BLAS</a> <span class="tag member-of">member of Alpha SDK</span>',
        html,
    )
    # Two layouts on one page: no id is used twice.
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_hostile_names_render_as_text(client, community):
    widget = make_product("widget", name="Widget & <Co>")
    hostile = make_product("hostile", name='<script>alert("x")</script> & "Q"')
    spoke = make_community("evil", name="<b>Evil</b> & Sons", kind=Community.Kind.SPOKE)
    make_membership(hostile, spoke)
    make_dependency(widget, hostile)
    html = client.get("/products/widget/").content.decode()
    assert "<script>alert" not in html and "<b>Evil" not in html
    for svg in pictures(html).values():  # well-formed XML despite the names
        labels = links(svg)
        assert labels["/products/hostile/"] == (
            '<script>alert("x")</script> & "Q", a dependency of Widget & <Co>, '
            "member of <b>Evil</b> & Sons"
        )
        title = next(svg.iter(f"{SVG}title"))
        assert title.text == "Dependency neighbourhood of Widget & <Co>"
        assert "Widget & <Co>" in texts(svg)


def test_a_large_neighbourhood_is_bounded_with_a_link_to_the_full_list(client, community):
    hub = make_product("hub", name="Hub")
    for i in range(PER_SIDE + 4):
        make_dependency(make_product(f"user{i:02d}", name=f"User {i:02d}"), hub)
    make_dependency(hub, make_product("base", name="Base"))
    html = client.get("/products/hub/").content.decode()
    for svg in pictures(html).values():
        hrefs = list(links(svg))
        users = [h for h in hrefs if h.startswith("/products/user")]
        assert len(users) == PER_SIDE
        more = [a for a in svg.iter(f"{SVG}a") if "nb-more" in a.get("class")]
        assert len(more) == 1 and more[0].get("href") == "#dependents-h"
        assert "".join(more[0].itertext()) == "and 4 more dependents"
    # The full list is on the page, under the heading the link points to.
    assert 'id="dependents-h">Dependents (14)</h2>' in html
    assert all(f'href="/products/user{i:02d}/"' in html for i in range(PER_SIDE + 4))


def test_one_more_is_said_in_the_singular(client, community):
    hub = make_product("hub", name="Hub")
    for i in range(PER_SIDE + 1):
        make_dependency(hub, make_product(f"dep{i:02d}"))
    svg = pictures(client.get("/products/hub/").content.decode())["narrow"]
    [more] = [a for a in svg.iter(f"{SVG}a") if "nb-more" in a.get("class")]
    assert "".join(more.itertext()) == "and 1 more dependency"
    assert more.get("href") == "#deps-h"


def test_members_and_required_dependencies_are_drawn_first(client, community):
    hub = make_product("hub", name="Hub")
    for i in range(PER_SIDE + 2):
        make_dependency(
            hub, make_product(f"opt{i:02d}", name=f"A optional {i:02d}"), kind="optional"
        )
    member = make_product("member", name="Z member")
    make_membership(member, community)
    make_dependency(hub, member, kind="optional")
    required = make_product("required", name="Z required")
    make_dependency(hub, required)
    svg = pictures(client.get("/products/hub/").content.decode())["wide"]
    hrefs = [h for h in links(svg) if h.startswith("/products/") and h != "/products/hub/"]
    assert hrefs[:2] == ["/products/member/", "/products/required/"]
    assert len(hrefs) == PER_SIDE


def test_a_product_with_no_dependencies_either_way_has_no_picture(client, product):
    html = client.get(f"/products/{product.slug}/").content.decode()
    assert pictures(html) == {}
    assert "Dependency neighbourhood" not in html


def test_the_picture_costs_one_query_whatever_the_number_of_neighbours(client, community):
    hub = make_product("hub", name="Hub")
    make_membership(hub, community)

    def grow(k: int) -> None:
        for _ in range(k):
            dep, user = make_product(), make_product()
            make_membership(dep, make_community())
            make_membership(user, community)
            make_dependency(hub, dep)
            make_dependency(user, hub, kind="optional")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/products/hub/")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    grow(2)
    small = count()
    grow(20)
    large = count()
    assert small == large
    html = client.get("/products/hub/").content.decode()
    drawn = links(pictures(html)["wide"])
    assert len(drawn) == 2 * PER_SIDE + 1 + 2  # the nodes, the product, two "more" links


def test_the_neighbourhood_reads_memberships_in_one_query(community, django_assert_num_queries):
    hub = make_product("hub", name="Hub")
    for _ in range(5):
        dep = make_product()
        make_membership(dep, community)
        make_dependency(hub, dep)
    dependencies = list(hub.dependencies.select_related("depends_on"))
    with django_assert_num_queries(1):
        hood = neighbourhood(hub, dependencies, [])
    assert all(node.spokes == ("Alpha SDK",) for node in hood.dependencies)
