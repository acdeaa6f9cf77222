"""Pages for waivers and confirmed interoperability: the product page's two panels (data
for ``products/_waivers.html`` and ``products/_interoperability.html``, read by the
``product_panels`` template tags in a fixed number of queries) and the forms they post to.

Each write goes through ``products.waivers`` / ``products.interoperability``; a refusal
is a 403 (anonymous: the sign-in page), bad input re-shows the form with its errors.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from events.errors import TransitionNotAllowed
from products import access as product_access
from products import waivers
from products.forms import InteroperabilityForm, WaiverForm, neighbour_options
from products.models import Interoperability, Product, Waiver
from spokes.models import Policy


def grantable_policies(user, product: Product) -> list[Policy]:
    """The policies of the sets ``product`` is held to that ``user`` may waive."""
    policies = waivers.waivable_policies(product)
    allowed = product_access.waivable_set_ids(user, {p.policy_set for p in policies})
    return [p for p in policies if p.policy_set_id in allowed]


def waiver_panel(user, product: Product) -> dict:
    """The waivers of ``product`` (newest first) and, for someone who may grant one, the
    form; which rows they may revoke. A fixed number of queries, whatever the rows."""
    rows = list(
        Waiver.objects.filter(product=product)
        .select_related("policy__policy_set", "granted_by")
        .order_by("-granted_at", "-pk")
    )
    may = product_access.may_grant_waivers(user)
    policies = grantable_policies(user, product) if may else []
    revocable = (
        product_access.waivable_set_ids(user, {w.policy.policy_set for w in rows}) if may else set()
    )
    for row in rows:
        row.can_revoke = row.in_force and row.policy.policy_set_id in revocable
    form = WaiverForm(product=product, policies=policies) if policies else None
    return {"waivers": rows, "waiver_form": form}


def interoperability_panel(user, product: Product) -> dict:
    """Confirmations naming ``product`` on either side, and the form for a lead of one of
    its communities (or a hub admin)."""
    rows = list(
        Interoperability.objects.filter(Q(product=product) | Q(partner=product))
        .select_related("product", "partner", "confirmed_by")
        .order_by("-confirmed_at", "-pk")
    )
    for row in rows:
        row.other = row.partner if row.product_id == product.pk else row.product
    may = product_access.can_confirm_interoperability(user, product)
    return {
        "confirmations": rows,
        "interop_form": (
            InteroperabilityForm(product=product, partners=neighbour_options(product, user))
            if may
            else None
        ),
    }


@login_required
def waiver_new(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product, slug=slug)
    if not product_access.may_grant_waivers(request.user):
        raise PermissionDenied("Only community leads and hub admins may waive policies.")
    policies = grantable_policies(request.user, product)
    if not policies:
        raise PermissionDenied("You may not waive any policy this product is held to.")
    form = WaiverForm(request.POST or None, product=product, policies=policies)
    if request.method == "POST" and form.is_valid() and form.save(by=request.user):
        messages.success(request, "Waiver granted.")
        return redirect(f"{product.get_absolute_url()}#waivers-h")
    return render(request, "products/waiver_form.html", {"product": product, "form": form})


@login_required
@require_POST
def waiver_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    waiver = get_object_or_404(
        Waiver.objects.select_related("product", "policy__policy_set"), pk=pk, product__slug=slug
    )
    if not product_access.can_revoke_waiver(request.user, waiver):
        raise PermissionDenied("You may not revoke this waiver.")
    try:
        waivers.revoke_waiver(waiver=waiver, by=request.user)
        messages.success(request, f"Waiver of {waiver.policy.code} revoked.")
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    return redirect(f"{waiver.product.get_absolute_url()}#waivers-h")


@login_required
def interoperability_new(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product, slug=slug)
    if not product_access.may_confirm_interoperability(request.user):
        raise PermissionDenied("Only community leads and hub admins may confirm interoperability.")
    partners = neighbour_options(product, request.user)
    form = InteroperabilityForm(request.POST or None, product=product, partners=partners)
    if request.method == "POST" and form.is_valid():
        partner = form.cleaned_data["partner"]
        if not product_access.can_confirm_interoperability(request.user, product, partner):
            raise PermissionDenied(
                "Only a lead of a community either product is an active member of may "
                "confirm they work together."
            )
        if form.save(by=request.user):
            messages.success(request, f"Interoperability with {partner.name} confirmed.")
            return redirect(f"{product.get_absolute_url()}#interoperability-h")
    return render(
        request, "products/interoperability_form.html", {"product": product, "form": form}
    )
