"""The stakeholder pages (DESIGN §12): who relies on what, how critically, and what
happened to it; the forms hub admins, leads and a stakeholder's own contacts write through.

Reads come from ``hub.stakeholders``; writes go through ``products.services`` (which asks
``products.access``). A refused write is a 403 and changes nothing; bad input re-shows the
form with its errors (400).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from hub import stakeholders as reads
from hub.forms import StakeholderForm, UseForm, stakeholder_choices
from products import access as product_access
from products import services
from products.forms import product_options
from products.models import Membership, Product, ProductUse, Stakeholder
from spokes.access import lead_community_ids

# At most this many products are suggested in a use form's product box.
SUGGESTIONS = 500


def stakeholder_list(request: HttpRequest) -> HttpResponse:
    """Every stakeholder, grouped by kind (``?kind=`` keeps one), with how many products
    each relies on and how many critically (one query)."""
    kind = request.GET.get("kind", "")
    rows = reads.with_counts(Stakeholder.objects.all())
    if kind in Stakeholder.Kind.values:
        rows = rows.filter(kind=kind)
    else:
        kind = ""
    groups = reads.grouped_by_kind(rows)
    context = {
        "groups": groups,
        "count": sum(len(g[2]) for g in groups),
        "kind": kind,
        "kinds": Stakeholder.Kind.choices,
        "can_create": product_access.can_manage_stakeholders(request.user),
    }
    return render(request, "hub/stakeholder_list.html", context)


def stakeholder_detail(request: HttpRequest, slug: str) -> HttpResponse:
    stakeholder = get_object_or_404(Stakeholder.objects.prefetch_related("contacts"), slug=slug)
    user = request.user
    found = reads.reliance(stakeholder, user)
    leads = lead_community_ids(user)
    admin = product_access.can_manage_stakeholders(user)
    contact = product_access.is_stakeholder_contact(user, stakeholder)
    for use in found.uses:
        # can_record_use for each row, from what is loaded (no query per row).
        use.writable = (
            admin or contact or any(m.community_id in leads for m in use.product.memberships.all())
        )
    may_add = product_access.may_record_uses_for(user, stakeholder)
    context = {
        "stakeholder": stakeholder,
        "reliance": found,
        "can_edit": product_access.can_edit_stakeholder(user, stakeholder),
        "use_form": (
            UseForm(stakeholder=stakeholder, products=_suggested(user, stakeholder))
            if may_add
            else None
        ),
    }
    return render(request, "hub/stakeholder_detail.html", context)


def _suggested(user, stakeholder: Stakeholder) -> list[tuple[str, str]]:
    """Products suggested in a use form: the members of the communities ``user`` leads,
    and (for hub admins and the stakeholder's contacts, who may name any) the catalog."""
    products = Product.objects.only("slug", "name").order_by(Lower("name"), "slug")
    if not (
        product_access.can_manage_stakeholders(user)
        or product_access.is_stakeholder_contact(user, stakeholder)
    ):
        members = Membership.objects.filter(community_id__in=lead_community_ids(user))
        products = products.filter(pk__in=members.values("product_id"))
    return product_options(products[:SUGGESTIONS])


@login_required
def stakeholder_new(request: HttpRequest) -> HttpResponse:
    if not product_access.can_manage_stakeholders(request.user):
        raise PermissionDenied("Only hub admins may record stakeholders.")
    form = StakeholderForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid() and (stakeholder := form.save(by=request.user)):
            messages.success(request, f"{stakeholder.name} recorded.")
            return redirect(stakeholder)
        status = 400
    context = {"form": form, "stakeholder": None}
    return render(request, "hub/stakeholder_form.html", context, status=status)


@login_required
def stakeholder_edit(request: HttpRequest, slug: str) -> HttpResponse:
    stakeholder = get_object_or_404(Stakeholder.objects.prefetch_related("contacts"), slug=slug)
    if not product_access.can_edit_stakeholder(request.user, stakeholder):
        raise PermissionDenied("Only hub admins and the stakeholder's contacts may change it.")
    form = StakeholderForm(request.POST or None, stakeholder=stakeholder, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid() and form.save(by=request.user):
            messages.success(request, f"{stakeholder.name} saved.")
            return redirect(stakeholder)
        status = 400
    context = {"form": form, "stakeholder": stakeholder}
    return render(request, "hub/stakeholder_form.html", context, status=status)


@login_required
def stakeholder_use(request: HttpRequest, slug: str) -> HttpResponse:
    """Record or change one of the stakeholder's uses (``?product=`` fills in the one to
    change)."""
    stakeholder = get_object_or_404(Stakeholder, slug=slug)
    user = request.user
    if not product_access.may_record_uses_for(user, stakeholder):
        raise PermissionDenied(services.USE_REFUSED)
    initial = _use_initial(stakeholder, request.GET.get("product", ""))
    form = UseForm(
        request.POST or None,
        initial=initial,
        stakeholder=stakeholder,
        products=_suggested(user, stakeholder),
    )
    heading = f"A product {stakeholder.name} relies on"
    return _use_form_page(request, form, back=stakeholder.get_absolute_url(), heading=heading)


@login_required
def product_use(request: HttpRequest, slug: str) -> HttpResponse:
    """Record or change who relies on a product (``?stakeholder=`` fills in the one to
    change)."""
    product = get_object_or_404(Product, slug=slug)
    choices = stakeholder_choices(request.user, product)
    if not product_access.may_record_uses(request.user) or not choices.exists():
        raise PermissionDenied(services.USE_REFUSED)
    wanted = request.GET.get("stakeholder", "")
    use = ProductUse.objects.filter(product=product, stakeholder__slug=wanted).first()
    initial = _values(use) | {"stakeholder": wanted} if use else None
    form = UseForm(request.POST or None, initial=initial, product=product, stakeholders=choices)
    back = product.get_absolute_url() + "#relies-h"
    return _use_form_page(request, form, back=back, heading=f"Who relies on {product.name}")


def _use_form_page(request: HttpRequest, form: UseForm, *, back: str, heading: str) -> HttpResponse:
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            product, stakeholder = form.ends()
            if not product_access.can_record_use(request.user, product, stakeholder):
                form.add_error(None, services.USE_REFUSED)
                status = 403
            elif saved := form.save(by=request.user):
                _use, created = saved
                verb = "recorded" if created else "saved"
                messages.success(request, f"{stakeholder.name}'s use of {product.name} {verb}.")
                return redirect(back)
    context = {"form": form, "heading": heading, "back": back}
    return render(request, "hub/use_form.html", context, status=status)


def _values(use: ProductUse) -> dict:
    return {k: getattr(use, k) for k in ("criticality", "note", "contact", "source")}


def _use_initial(stakeholder: Stakeholder, product_slug: str) -> dict | None:
    use = (
        ProductUse.objects.filter(stakeholder=stakeholder, product__slug=product_slug).first()
        if product_slug
        else None
    )
    return _values(use) | {"product": product_slug} if use else None


@login_required
@require_POST
def use_remove(request: HttpRequest, slug: str, product: str) -> HttpResponse:
    """Forget that the stakeholder relies on ``product`` (its history stays)."""
    stakeholder = get_object_or_404(Stakeholder, slug=slug)
    target = get_object_or_404(Product, slug=product)
    if not product_access.can_record_use(request.user, target, stakeholder):
        raise PermissionDenied(services.USE_REFUSED)
    if services.remove_use(product=target, stakeholder=stakeholder, by=request.user):
        messages.success(request, f"{stakeholder.name}'s use of {target.name} removed.")
    else:
        messages.error(request, f"{stakeholder.name} is not recorded as using {target.name}.")
    back = request.POST.get("next") == "product"
    return redirect(target.get_absolute_url() + "#relies-h" if back else stakeholder)
