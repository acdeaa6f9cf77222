"""A slug page's address learnt once is the address reverse() gives, under any script
prefix and URL map."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from events.addresses import slug_url

VIEWS = ("products:detail", "spokes:community-detail", "spokes:policyset-detail")


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("slug", ["hypre", "a-b_c-09", "X"])
def test_same_as_reverse(view, slug):
    assert slug_url(view, slug) == reverse(view, kwargs={"slug": slug})


def test_follows_the_script_prefix():
    plain = slug_url("products:detail", "hypre")
    set_script_prefix("/registry/")
    try:
        assert slug_url("products:detail", "hypre") == "/registry" + plain
    finally:
        clear_script_prefix()
    assert slug_url("products:detail", "hypre") == plain


@override_settings(ROOT_URLCONF="tests.events.urls_elsewhere")
def test_follows_a_swapped_url_map():
    assert slug_url("products:detail", "hypre") == "/elsewhere/products/hypre/"


def test_a_value_no_slug_route_takes_is_refused_as_reverse_refuses_it():
    with pytest.raises(NoReverseMatch):
        slug_url("products:detail", "no spaces")
