"""A product's dependency neighbourhood, as inline SVG for its page.

The product sits in the middle; what depends on it (its dependents) on one side, what it
depends on (its dependencies) on the other, one hop each way and at most ``PER_SIDE``
nodes a side (then "and K more", linking to the full list on the page). Arrows point from
a product to what it depends on; an optional dependency is a dashed line. A product that
is an active member of a spoke is drawn with a double border and a tick before the names
of its spokes ("✓ xSDK"), and its link says "member of xSDK" — never colour alone.

Every node is a link to its product's page, named for screen readers (``aria-label``:
the name, how it is related, its spokes); the picture has a ``<title>`` and ``<desc>``
(``aria-labelledby``), and the page lists the same products as text beside it. Colours
come from the page's style sheet (classes, ``currentColor``), so the picture follows the
light and dark schemes and prints black on white. Every name is escaped for XML.

Two layouts of the same picture: ``wide`` (three columns) and ``narrow`` (one column, for
phones); the style sheet shows the one that fits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from products.models import Dependency, Membership, Product
from spokes.models import Community

PER_SIDE = 10

NODE_W = 220
NODE_H = 40
ROW = 50
GAP = 120
HEAD = 34
NAME_CHARS = 26


@dataclass(frozen=True)
class Node:
    name: str
    url: str
    spokes: tuple[str, ...] = ()  # the spokes it is an active member of, by name
    optional: bool = False  # reached by an optional dependency
    when: str = ""  # the Spack condition of that optional dependency

    @property
    def member(self) -> bool:
        return bool(self.spokes)

    @property
    def member_text(self) -> str:
        return f"member of {', '.join(self.spokes)}" if self.spokes else ""


@dataclass(frozen=True)
class Neighbourhood:
    product: Node
    dependencies: list[Node]  # every one, the picture's order
    dependents: list[Node]
    dependencies_href: str  # the full lists on the page
    dependents_href: str
    spokes: dict[int, tuple[str, ...]]  # product pk: the spokes it is an active member of

    def shown(self, nodes: Sequence[Node]) -> list[Node]:
        return list(nodes[:PER_SIDE])

    def more(self, nodes: Sequence[Node]) -> int:
        return max(0, len(nodes) - PER_SIDE)


def _order(node: Node) -> tuple:
    """Members first, then required before optional, then by name."""
    return (not node.member, node.optional, node.name.casefold())


def neighbourhood(
    product: Product,
    dependencies: Sequence[Dependency],
    dependents: Sequence[Dependency],
    *,
    dependencies_href: str = "#deps-h",
    dependents_href: str = "#dependents-h",
) -> Neighbourhood:
    """The picture's data from the product's dependency rows already loaded (with
    ``depends_on`` / ``product``): one query, for the spokes every node is an active
    member of."""
    others = [d.depends_on for d in dependencies] + [d.product for d in dependents]
    spokes: dict[int, list[str]] = defaultdict(list)
    rows = (
        Membership.objects.active()
        .filter(
            product__in=[product.pk, *(p.pk for p in others)],
            community__kind=Community.Kind.SPOKE,
        )
        .values_list("product_id", "community__name")
        .order_by("community__name")
    )
    for product_id, name in rows:
        if name not in spokes[product_id]:
            spokes[product_id].append(name)

    def node(p: Product, dep: Dependency | None = None) -> Node:
        optional = dep is not None and dep.kind == Dependency.Kind.OPTIONAL
        return Node(
            name=p.name,
            url=p.get_absolute_url(),
            spokes=tuple(spokes.get(p.pk, ())),
            optional=optional,
            when=dep.when if dep is not None and optional else "",
        )

    return Neighbourhood(
        product=node(product),
        dependencies=sorted((node(d.depends_on, d) for d in dependencies), key=_order),
        dependents=sorted((node(d.product, d) for d in dependents), key=_order),
        dependencies_href=dependencies_href,
        dependents_href=dependents_href,
        spokes={pk: tuple(names) for pk, names in spokes.items()},
    )


# --- Drawing ---------------------------------------------------------------------------


def _short(name: str, limit: int = NAME_CHARS) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _label(node: Node, relation: str) -> str:
    """What a screen reader says for a node's link."""
    parts = [node.name, relation]
    if node.optional:
        parts.append("optional" + (f" (when {node.when})" if node.when else ""))
    if node.member:
        parts.append(node.member_text)
    return ", ".join(parts)


def _node(node: Node, x: float, y: float, relation: str, *, centre: bool = False) -> str:
    """A node: a link around its box, its name and, for a member, the text marker."""
    classes = "nb-node" + (" nb-member" if node.member else "") + (" nb-self" if centre else "")
    h = NODE_H
    label = _label(node, relation)
    parts = [
        f'<a href={quoteattr(node.url)} class="nb-link" aria-label={quoteattr(label)}>'
        f'<g class="{classes}">',
        f"<title>{escape(_label(node, relation))}</title>",
    ]
    if node.member:
        # The double border: an outer frame around the box.
        parts.append(
            f'<rect class="nb-frame" x="{x - 3}" y="{y - 3}" width="{NODE_W + 6}" '
            f'height="{h + 6}" rx="8" fill="none" stroke="currentColor" stroke-width="1.5"/>'
        )
    parts.append(
        f'<rect class="nb-box" x="{x}" y="{y}" width="{NODE_W}" height="{h}" rx="6" '
        f'fill="none" stroke="currentColor" stroke-width="{2 if centre else 1}"/>'
    )
    cx = x + NODE_W / 2
    if node.member:
        parts.append(
            f'<text class="nb-name" x="{cx}" y="{y + 17}" text-anchor="middle">'
            f"{escape(_short(node.name))}</text>"
            f'<text class="nb-marker" x="{cx}" y="{y + 32}" text-anchor="middle">'
            f"\u2713 {escape(_short(', '.join(node.spokes), 32))}</text>"
        )
    else:
        parts.append(
            f'<text class="nb-name" x="{cx}" y="{y + h / 2 + 5}" text-anchor="middle">'
            f"{escape(_short(node.name))}</text>"
        )
    parts.append("</g></a>")
    return "".join(parts)


SINGULAR = {"dependents": "dependent", "dependencies": "dependency"}


def _more(count: int, href: str, noun: str, x: float, y: float, anchor: str = "middle") -> str:
    text = f"and {count} more {SINGULAR[noun] if count == 1 else noun}"
    return (
        f'<a href={quoteattr(href)} class="nb-link nb-more">'
        f'<text x="{x}" y="{y}" text-anchor="{anchor}">{escape(text)}</text></a>'
    )


def _edge(x1: float, y1: float, x2: float, y2: float, optional: bool, marker: str) -> str:
    mid = (x1 + x2) / 2
    dash = ' stroke-dasharray="6 4"' if optional else ""
    kind = "nb-edge nb-optional" if optional else "nb-edge"
    return (
        f'<path class="{kind}" d="M{x1} {y1} C{mid} {y1} {mid} {y2} {x2} {y2}" fill="none" '
        f'stroke="currentColor" stroke-width="1.3"{dash} marker-end="url(#{marker})"/>'
    )


def _polyline(points: Sequence[tuple[float, float]], optional: bool, marker: str | None) -> str:
    dash = ' stroke-dasharray="6 4"' if optional else ""
    kind = "nb-edge nb-optional" if optional else "nb-edge"
    end = f' marker-end="url(#{marker})"' if marker else ""
    d = " ".join(f"{'M' if i == 0 else 'L'}{x} {y}" for i, (x, y) in enumerate(points))
    return (
        f'<path class="{kind}" d="{d}" fill="none" stroke="currentColor" '
        f'stroke-width="1.3"{dash}{end}/>'
    )


def _open(hood: Neighbourhood, ident: str, layout: str, width: float, height: float) -> list[str]:
    title = f"Dependency neighbourhood of {hood.product.name}"
    n_deps, n_dents = len(hood.dependencies), len(hood.dependents)
    members = sum(n.member for n in [*hood.dependencies, *hood.dependents])
    desc = (
        f"{hood.product.name} depends on {n_deps} "
        f"{'product' if n_deps == 1 else 'products'} and {n_dents} "
        f"{'product depends' if n_dents == 1 else 'products depend'} on it; {members} of them "
        f"{'is an active member' if members == 1 else 'are active members'} of a spoke. "
        f"Each product is a link to its page; the lists below name them all."
    )
    marker = f"{ident}-arrow"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="picture nb nb-{layout}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" '
        f'class="nb-arrow" fill="currentColor"/></marker></defs>',
        '<g font-family="system-ui, sans-serif" font-size="13" fill="currentColor">',
    ]


def _heading(text: str, x: float, y: float, anchor: str = "middle") -> str:
    return f'<text class="nb-heading" x="{x}" y="{y}" text-anchor="{anchor}">{escape(text)}</text>'


def render_wide(hood: Neighbourhood, ident: str = "nbw") -> str:
    """Dependents | the product | dependencies, with arrows left to right."""
    x_left, x_mid, x_right = 4, 4 + NODE_W + GAP, 4 + 2 * (NODE_W + GAP)
    sides = (
        (hood.dependents, "Depend on it", hood.dependents_href, "dependents", x_left),
        (hood.dependencies, "It depends on", hood.dependencies_href, "dependencies", x_right),
    )
    rows = max(1, *(len(hood.shown(every)) + bool(hood.more(every)) for every, *_ in sides))
    width, height = 3 * NODE_W + 2 * GAP + 8, HEAD + rows * ROW + 8
    y_mid = HEAD + (rows * ROW - NODE_H) / 2
    mid = y_mid + NODE_H / 2
    marker = f"{ident}-arrow"
    edges: list[str] = []
    nodes: list[str] = []
    for every, heading, href, noun, x in sides:
        shown, more = hood.shown(every), hood.more(every)
        centre = x + NODE_W / 2
        nodes.append(_heading(f"{heading} ({len(every)})", centre, 18))
        top = HEAD + (rows - len(shown) - bool(more)) * ROW / 2 + (ROW - NODE_H) / 2
        relation = (
            f"depends on {hood.product.name}"
            if x == x_left
            else f"a dependency of {hood.product.name}"
        )
        for i, node in enumerate(shown):
            y = top + i * ROW
            if x == x_left:
                edges.append(
                    _edge(x + NODE_W + 3, y + NODE_H / 2, x_mid - 3, mid, node.optional, marker)
                )
            else:
                edges.append(
                    _edge(x_mid + NODE_W + 3, mid, x - 3, y + NODE_H / 2, node.optional, marker)
                )
            nodes.append(_node(node, x, y, relation))
        if more:
            nodes.append(_more(more, href, noun, centre, top + len(shown) * ROW + 25))
        if not shown:
            nodes.append(_heading("None recorded", centre, mid + 5))
    nodes.append(_node(hood.product, x_mid, y_mid, "this product", centre=True))
    return "".join([*_open(hood, ident, "wide", width, height), *edges, *nodes, "</g></svg>"])


def _section(
    hood: Neighbourhood, every: list[Node], heading: str, href: str, noun: str, y: float, x: float
) -> tuple[list[float], list[str], float]:
    """One side of the narrow layout from height ``y``: (the shown nodes' heights, the
    heading, "and K more" and "None recorded" markup, the height below it)."""
    shown, more = hood.shown(every), hood.more(every)
    parts = [_heading(f"{heading} ({len(every)})", x, y + 14, "start")]
    y += HEAD
    ys = [y + i * ROW for i in range(len(shown))]
    y += len(shown) * ROW
    if more:
        parts.append(_more(more, href, noun, x, y + 16, "start"))
        y += 30
    if not shown:
        parts.append(_heading("None recorded", x, y + 4, "start"))
        y += 20
    return ys, parts, y


def render_narrow(hood: Neighbourhood, ident: str = "nbn") -> str:
    """One column: dependents above the product, dependencies below; a line down the
    left side joins each to the product, with the arrow towards what is depended on."""
    top, bottom = hood.shown(hood.dependents), hood.shown(hood.dependencies)
    spine, x = 14, 34
    marker = f"{ident}-arrow"
    top_ys, top_parts, y = _section(
        hood, hood.dependents, "Depend on it", hood.dependents_href, "dependents", 4, x
    )
    product_y = y + 10
    bottom_ys, bottom_parts, y = _section(
        hood,
        hood.dependencies,
        "It depends on",
        hood.dependencies_href,
        "dependencies",
        product_y + NODE_H + 20,
        x,
    )
    mid = product_y + NODE_H / 2
    body: list[str] = []
    # A dependent's line runs down the spine into the product's side; the product's line
    # runs down the spine into each dependency.
    for node, ny in zip(top, top_ys, strict=True):
        points = [(x - 3, ny + NODE_H / 2), (spine, ny + NODE_H / 2), (spine, mid), (x - 3, mid)]
        body.append(_polyline(points, node.optional, marker))
    for node, ny in zip(bottom, bottom_ys, strict=True):
        points = [(x - 3, mid), (spine, mid), (spine, ny + NODE_H / 2), (x - 3, ny + NODE_H / 2)]
        body.append(_polyline(points, node.optional, marker))
    body += top_parts + bottom_parts
    for node, ny in zip(top, top_ys, strict=True):
        body.append(_node(node, x, ny, f"depends on {hood.product.name}"))
    body.append(_node(hood.product, x, product_y, "this product", centre=True))
    for node, ny in zip(bottom, bottom_ys, strict=True):
        body.append(_node(node, x, ny, f"a dependency of {hood.product.name}"))
    width, height = x + NODE_W + 8, y + 4
    return "".join([*_open(hood, ident, "narrow", width, height), *body, "</g></svg>"])
