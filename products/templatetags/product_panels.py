"""The product page's waiver and interoperability panels, loaded by their own partials
(``products/_waivers.html``, ``products/_interoperability.html``) so the product view
needs nothing for them: each tag costs a fixed number of queries."""

from __future__ import annotations

from django import template

from products.views_waivers import interoperability_panel, waiver_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def waivers_of(context, product) -> dict:
    return waiver_panel(context["request"].user, product)


@register.simple_tag(takes_context=True)
def interoperability_of(context, product) -> dict:
    return interoperability_panel(context["request"].user, product)
