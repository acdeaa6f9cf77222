"""HTML pages for products: catalog, product page, badge, and the editing forms."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from events.models import Event
from hub.forms import UseForm, stakeholder_choices
from hub.models import Release
from hub.releases import releases_of
from hub.stakeholders import product_relied_on
from lifecycle.models import visible_events
from products import access as product_access
from products import catalog as catalog_data
from products import delivery
from products.badge import etag_for, render_badge
from products.compliance import held_sets, hub_policy_set, summaries_for, summarize
from products.filters import ProductFilter, by_name
from products.forms import (
    DEPENDENCY_OPTIONS,
    AssessmentFormSet,
    BulkAssessmentForm,
    DependencyFormSet,
    ProductForm,
    neighbour_options,
)
from products.models import Assessment, Dependency, Membership, Product
from products.neighbourhood import neighbourhood, render_narrow, render_wide
from spokes import access as spokes_access
from spokes.models import PolicySet

PAGE_SIZE = 25


# --- Catalog --------------------------------------------------------------------------


def catalog(request: HttpRequest) -> HttpResponse:
    filterset = ProductFilter(request.GET, queryset=Product.objects.for_list())
    products = filterset.qs if filterset.is_valid() else Product.objects.none()
    if not request.GET.get("ordering") and not request.GET.get("q"):
        products = products.order_by(*by_name())
    export = request.GET.get("export")
    if export in ("csv", "json"):
        return catalog_data.export(products, export)
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # The rows read every active membership: the filter's own reading serves when it is
    # not narrowed to one community (the same sets, looked up once).
    unnarrowed = filterset.is_valid() and filterset.form.cleaned_data.get("community") is None
    catalog_data.attach_compliance(rows, filterset.held() if unnarrowed else None)
    facets = catalog_data.facets(filterset, request.GET)
    return render(
        request,
        "products/catalog.html",
        {
            "filterset": filterset,
            "page": page,
            "rows": rows,
            "facets": facets,
            "sort_choices": catalog_data.SORT_CHOICES,
            "active_filters": catalog_data.active_filters(request.GET, facets),
        },
    )


# --- Product page ---------------------------------------------------------------------


def _default_policy_set(product: Product, memberships=None) -> PolicySet | None:
    """The set the first active membership's community (by community name) holds its
    members to, else the hub's set."""
    rows = memberships if memberships is not None else product.memberships.all()
    active = [
        m.community
        for m in sorted(rows, key=lambda m: (m.community.name, m.pk))
        if m.state == Membership.State.ACTIVE
    ]
    sets, _ = held_sets(active[:1])
    return sets[0] if sets else hub_policy_set()


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product.objects.prefetch_related("areas", "maintainers"), slug=slug)
    memberships = list(
        product.memberships.select_related("community__policy_set__base", "successor").order_by(
            "-state", "community__name", "-joined_at"
        )
    )
    # Against the set each of its communities holds it to (the hub's where a spoke has
    # none); a product in no community is shown against the hub's set.
    sets, defaults = held_sets(m.community for m in memberships)
    if not sets and (hub_set := hub_policy_set()) is not None:
        sets, defaults = [hub_set], {hub_set.pk}
    compliance = summaries_for([product], sets, hub_default=defaults)[product.pk]
    # The page's own <img> carries a version so a maintainer sees a fresh badge at once,
    # while embedders get the cacheable plain URL.
    default_set = _default_policy_set(product, memberships)
    badge_summary = None
    if default_set is not None:
        badge_summary = compliance.get(default_set.slug) or summarize(product, default_set)
    badge_version = etag_for(render_badge(badge_summary)).strip('"')[:12]
    user = request.user
    can_edit = product_access.can_edit_product(user, product)
    badge_url = request.build_absolute_uri(reverse("products:badge", kwargs={"slug": slug}))
    dependencies = list(
        product.dependencies.select_related("depends_on").order_by("depends_on__name")
    )
    dependents = list(product.dependents.select_related("product").order_by("product__name"))
    return render(
        request,
        "products/product_detail.html",
        {
            "product": product,
            "memberships": memberships,
            "compliance": list(compliance.values()),
            "dependencies": dependencies,
            "dependents": dependents,
            "neighbourhood": _neighbourhood_svgs(product, dependencies, dependents),
            **_relied_on_context(user, product),
            "events": visible_events(user, Event.objects.for_list()).filter(product=product)[:10],
            "can_edit": can_edit,
            "can_assess": can_edit or product_access.can_assess(user, product),
            "can_import_compat": product_access.compat_import_refusal(user, product) is None,
            "can_request": can_edit or bool(spokes_access.lead_community_ids(user)),
            "badge_url": badge_url,
            "badge_version": badge_version,
            "page_url": request.build_absolute_uri(product.get_absolute_url()),
            **_delivery_context(product),
        },
    )


def _relied_on_context(user, product: Product) -> dict:
    """Who relies on the product (critical first), which of those uses ``user`` may change,
    and for someone who may record one the form (its stakeholders those they may name)."""
    uses = product_relied_on(product)
    form = None
    if product_access.may_record_uses(user):
        # can_record_use for each row: the product's part asked once, a contact's from the
        # user's cached stakeholders (no query per row).
        any_stakeholder = product_access.can_record_use(user, product)
        for use in uses:
            use.writable = any_stakeholder or product_access.is_stakeholder_contact(
                user, use.stakeholder
            )
        choices = stakeholder_choices(user, product)
        if choices.exists():
            form = UseForm(product=product, stakeholders=choices)
    return {"uses": uses, "use_form": form}


def _delivery_context(product: Product) -> dict:
    """The product's delivery facts and the releases that ship it (two queries)."""
    releases = releases_of(product.pk)
    environment_recorded = Release.objects.environments().exists()
    in_env = any(r.environment for r in releases) if environment_recorded else None
    return {
        "releases": releases,
        "delivery": delivery.delivery(product, in_current_environment=in_env),
    }


def _neighbourhood_svgs(product, dependencies, dependents) -> dict[str, str]:
    """The dependency neighbourhood drawn both ways (the style sheet shows the one that
    fits the screen); empty when the product has no dependency either way."""
    if not dependencies and not dependents:
        return {}
    hood = neighbourhood(product, dependencies, dependents)
    # The lists beside the picture say the same in words.
    for d in dependencies:
        d.member_of = hood.spokes.get(d.depends_on_id, ())
    for d in dependents:
        d.member_of = hood.spokes.get(d.product_id, ())
    return {"wide": mark_safe(render_wide(hood)), "narrow": mark_safe(render_narrow(hood))}


@require_GET
def badge(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(
        Product.objects.prefetch_related("memberships__community__policy_set__base"), slug=slug
    )
    wanted = request.GET.get("policy_set")
    if wanted:
        policy_set = PolicySet.objects.filter(slug=wanted).select_related("base").first()
        if policy_set is None:
            raise Http404("No such policy set")
    else:
        policy_set = _default_policy_set(product)
    svg = render_badge(summarize(product, policy_set) if policy_set else None)
    etag = etag_for(svg)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=300"
    # Embedded on other sites' READMEs: the SVG itself carries no script and no style (its
    # colours are presentation attributes), so opened on its own it may load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


# --- Editing --------------------------------------------------------------------------


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _get_product_for_editor(request: HttpRequest, slug: str, *, assess: bool = False) -> Product:
    product = get_object_or_404(Product.objects.prefetch_related("areas"), slug=slug)
    allowed = (
        product_access.can_assess(request.user, product)
        if assess
        else product_access.can_edit_product(request.user, product)
    )
    if not allowed:
        raise PermissionDenied("You may not edit this product.")
    return product


@login_required
def product_new(request: HttpRequest) -> HttpResponse:
    if not product_access.can_create_product(request.user):
        raise PermissionDenied
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        product = form.save(by=request.user)
        messages.success(request, f"{product.name} registered: you are its maintainer.")
        return redirect(product)
    return render(request, "products/product_form.html", {"form": form, "product": None})


@login_required
def product_edit(request: HttpRequest, slug: str) -> HttpResponse:
    product = _get_product_for_editor(request, slug)
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        form.save(by=request.user)
        messages.success(request, f"{product.name} saved.")
        return redirect(product)
    return render(request, "products/product_form.html", {"form": form, "product": product})


@login_required
def product_dependencies(request: HttpRequest, slug: str) -> HttpResponse:
    product = _get_product_for_editor(request, slug)
    deps = list(product.dependencies.select_related("depends_on").order_by("depends_on__name"))
    manual = [d for d in deps if d.source == Dependency.Source.MANUAL]
    initial = [{"depends_on": d.depends_on.slug, "kind": d.kind, "when": d.when} for d in manual]
    formset = DependencyFormSet(
        request.POST or None, product=product, initial=initial, prefix="deps"
    )
    if request.method == "POST" and formset.is_valid():
        kept = _count(len(formset.save(by=request.user)), "dependency", "dependencies")
        messages.success(request, f"Dependencies of {product.name} saved: {kept} entered by hand.")
        return redirect(product)
    fixed = [d for d in deps if d.source != Dependency.Source.MANUAL]
    context = {
        "product": product,
        "formset": formset,
        "fixed": fixed,
        "options_id": DEPENDENCY_OPTIONS,
        "options": neighbour_options(product),
    }
    return render(request, "products/dependencies_form.html", context)


def _assessed_set(request: HttpRequest, product: Product) -> tuple[PolicySet, list]:
    """The set the assessments page works on (``?policy_set=``, else the product's default)
    and its effective policies."""
    wanted = request.GET.get("policy_set")
    policy_set = (
        get_object_or_404(PolicySet, slug=wanted) if wanted else _default_policy_set(product)
    )
    if policy_set is None:
        raise Http404("No policy set to assess against")
    return policy_set, policy_set.effective_policies()


def _assessments_url(product: Product, policy_set: PolicySet) -> str:
    url = reverse("products:assessments", kwargs={"slug": product.slug})
    return f"{url}?policy_set={policy_set.slug}"


@login_required
def product_assessments(request: HttpRequest, slug: str) -> HttpResponse:
    product = _get_product_for_editor(request, slug, assess=True)
    policy_set, policies = _assessed_set(request, product)
    existing = {
        a.policy_id: a
        for a in Assessment.objects.filter(product=product, policy__in=[p.pk for p in policies])
    }
    formset = AssessmentFormSet(
        request.POST or None,
        product=product,
        policy_set=policy_set,
        policies=policies,
        existing=existing,
        prefix="a",
    )
    if request.method == "POST" and formset.is_valid():
        changed = formset.save(by=request.user)
        messages.success(
            request,
            f"Assessments of {product.name} against {policy_set} saved: "
            f"{_count(changed, 'assessment', 'assessments')} changed.",
        )
        return redirect(f"{product.get_absolute_url()}#compliance-{policy_set.slug}")
    bulk = BulkAssessmentForm(product=product, policies=policies, prefix="bulk")
    return _render_assessments(request, product, policy_set, formset, bulk)


@login_required
@require_POST
def product_assessments_bulk(request: HttpRequest, slug: str) -> HttpResponse:
    """Set the selected policies to one status with one justification (all or nothing);
    an error re-shows the assessments page with the bulk form marked."""
    product = _get_product_for_editor(request, slug, assess=True)
    policy_set, policies = _assessed_set(request, product)
    bulk = BulkAssessmentForm(request.POST, product=product, policies=policies, prefix="bulk")
    if bulk.is_valid() and (counts := bulk.save(by=request.user)) is not None:
        chosen = len(bulk.cleaned_data["policies"])
        status = Assessment.Status(bulk.cleaned_data["status"]).label
        changed = counts["created"] + counts["updated"]
        messages.success(
            request,
            f"{_count(chosen, 'policy', 'policies')} of {policy_set} set to {status}: "
            f"{changed} changed, {counts['unchanged']} already so.",
        )
        return redirect(_assessments_url(product, policy_set))
    existing = {
        a.policy_id: a
        for a in Assessment.objects.filter(product=product, policy__in=[p.pk for p in policies])
    }
    formset = AssessmentFormSet(
        product=product, policy_set=policy_set, policies=policies, existing=existing, prefix="a"
    )
    return _render_assessments(request, product, policy_set, formset, bulk, status=400)


def _render_assessments(
    request: HttpRequest,
    product: Product,
    policy_set: PolicySet,
    formset,
    bulk: BulkAssessmentForm,
    status: int = 200,
) -> HttpResponse:
    other_sets = PolicySet.objects.exclude(pk=policy_set.pk).order_by("slug")
    return render(
        request,
        "products/assessments_form.html",
        {
            "product": product,
            "policy_set": policy_set,
            "formset": formset,
            "rows": list(zip(formset.forms, formset.policies, strict=False)),
            "bulk": bulk,
            "other_sets": other_sets,
        },
        status=status,
    )
