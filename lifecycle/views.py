"""HTML pages for lifecycle requests, the review queue and decisions (DESIGN §7).

Views stay short: the rules live in ``lifecycle.transitions``, ``lifecycle.checklist``,
``lifecycle.decisions`` and the ``access`` modules. A refused transition redirects back to the
request page with the service's message (POST/redirect/GET).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from accounts import roles
from events.errors import TransitionNotAllowed
from lifecycle import access as lifecycle_access
from lifecycle import decisions, forms, guidance, transitions
from lifecycle.filters import RequestFilter
from lifecycle.forms import ActionForm, RequestForm, RequestUpdateForm, VoteForm
from lifecycle.models import Decision, LifecycleRequest
from products import review
from products.models import Product
from spokes import access as spokes_access
from spokes.models import Community

PAGE_SIZE = 50


def _get_request_for_viewer(request: HttpRequest, pk: int) -> LifecycleRequest:
    """The request, if the viewer may see it (someone else's draft is a 404)."""
    req = get_object_or_404(LifecycleRequest.objects.for_list(), pk=pk)
    if not lifecycle_access.can_view_request(request.user, req):
        raise Http404("No such request.")
    return req


def request_list(request: HttpRequest) -> HttpResponse:
    visible = LifecycleRequest.objects.visible_to(request.user)
    queryset = visible.for_list().order_by("-created_at", "-id")
    filterset = RequestFilter(request.GET or None, queryset=queryset)
    # The page picks the community from a list (the API's filter takes any slug).
    spokes = Community.objects.spokes().order_by("name").values_list("slug", "name")
    filterset.form.fields["community"].widget = django_forms.Select(
        choices=[("", "Any community"), *spokes]
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "page": page}
    return render(request, "lifecycle/list.html", context)


def _open_refusal(user, data) -> str | None:
    """The refusal of a new request for the product and community posted, when both exist
    and the user may not open one for them (asked before the form is validated, so someone
    who may not gets a 403 whatever else they sent)."""
    product = Product.objects.filter(slug=str(data.get("product", ""))).first()
    community = Community.objects.filter(slug=str(data.get("community", ""))).first()
    if product and community and not lifecycle_access.can_open_request(user, product, community):
        return transitions.OPEN_REFUSED
    return None


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    """Open a draft: first the kind (``?kind=``, chosen by links, no script), then the
    form of that kind, with only its fields."""
    source = request.POST if request.method == "POST" else request.GET
    kind = source.get("kind") if source.get("kind") in LifecycleRequest.Kind.values else None
    prefill = {k: source[k] for k in ("product", "community") if source.get(k)}
    links = {k: "?" + urlencode({"kind": k, **prefill}) for k in LifecycleRequest.Kind.values}
    context = {"kind": kind, "kind_links": links}
    if kind is None:
        status = 400 if request.method == "POST" else 200
        return render(request, "lifecycle/new.html", {**context, "form": None}, status=status)
    successors = (
        forms.successor_options(prefill.get("community", ""), prefill.get("product", ""))
        if kind == LifecycleRequest.Kind.OFFRAMP
        else []
    )
    status = 200
    if request.method == "POST":
        form = RequestForm(request.POST, user=request.user, kind=kind, successors=successors)
        if refusal := _open_refusal(request.user, request.POST):
            form.is_valid()
            form.add_error(None, refusal)
            status = 403
        elif form.is_valid():
            try:
                req = transitions.request_create(by=request.user, **form.cleaned_data)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 400
            else:
                messages.success(request, f"Draft request #{req.pk} created.")
                return redirect(req)
        else:
            status = 400
    else:
        initial = {"kind": kind, **prefill}
        form = RequestForm(initial=initial, user=request.user, kind=kind, successors=successors)
    return render(request, "lifecycle/new.html", {**context, "form": form}, status=status)


def _render_detail(
    request: HttpRequest,
    req: LifecycleRequest,
    *,
    action_form: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    decision = None
    votes: list = []
    result_tally = None
    if req.decision_id:
        decision = Decision.objects.for_list().get(pk=req.decision_id)
        votes = list(decision.votes.all())
        result_tally = decisions.tally(decision, votes=votes, seats=decision.seat_count)
    can_vote = (
        decision is not None
        and decision.outcome == Decision.Outcome.PENDING
        and lifecycle_access.can_vote(user, decision)
    )
    allowed = transitions.allowed_actions(user, req)
    actions = [
        _Action(a, transitions.ACTION_LABELS[a], a in ActionForm.CONSEQUENTIAL) for a in allowed
    ]
    approval = _approval(req, decision) if "approve" in allowed else None
    if approval is not None:
        shown_checklist, checklist_as_of = approval.check.checklist, None
    else:
        shown_checklist, checklist_as_of = transitions.checklist_of(req)
    context = {
        "req": req,
        "checklist": shown_checklist,
        "checklist_rows": guidance.checklist_rows(user, req, shown_checklist.items),
        "checklist_as_of": checklist_as_of,
        "actions": actions,
        "danger_actions": [a for a in actions if a.danger],
        "approval": approval,
        # Votes missing: those who manage the body may see to its seats.
        "governance_url": (
            reverse("spokes:community-governance", kwargs={"slug": req.community.slug})
            if approval is not None
            and approval.check.votes_missing
            and spokes_access.can_manage_community(user, req.community)
            else ""
        ),
        "successors": (
            forms.successor_options(req.community.slug, req.product.slug)
            if approval is not None and req.kind == LifecycleRequest.Kind.OFFRAMP
            else []
        ),
        "can_update": transitions.can_update(user, req),
        "decision": decision,
        "votes": votes,
        "tally": result_tally,
        "can_vote": can_vote,
        "my_vote": next((v for v in votes if v.voter_id == user.pk), None) if can_vote else None,
        "vote_form": VoteForm() if can_vote else None,
        "action_form": action_form,
    }
    return render(request, "lifecycle/detail.html", context, status=status)


@dataclass(frozen=True)
class _Action:
    name: str
    label: str
    danger: bool  # reject and withdraw end the request: styled apart, confirmed


@dataclass(frozen=True)
class _Approval:
    check: transitions.ApprovalCheck
    # Whether the approve form can still succeed: its own fields (an offramp's
    # acknowledgement of dependents, the approver's of critical uses) may settle what is
    # left.
    possible: bool


def _approval(req: LifecycleRequest, decision: Decision | None) -> _Approval:
    """Why approval would be refused now, by the rule the transition applies."""
    check = transitions.approval_check(req, decision=decision)
    possible = check.ready
    if not possible and req.kind == LifecycleRequest.Kind.OFFRAMP:
        with_form = transitions.approval_check(
            req, decision=decision, acknowledge_dependents=True, acknowledge_critical=True
        )
        possible = with_form.ready
    return _Approval(check, possible)


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _get_request_for_viewer(request, pk))


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take an action; a refused transition redirects back to the request with the reason
    as a message (so reloading the page does not post again); a form error re-shows it."""
    if action not in transitions.ACTIONS:
        raise Http404("No such action.")
    req = _get_request_for_viewer(request, pk)
    if not transitions.may_take(request.user, req, action):
        raise PermissionDenied(f"You may not {transitions.ACTION_LABELS[action].lower()} it.")
    form = ActionForm(request.POST, action=action)
    if not form.is_valid():
        return _render_detail(request, req, action_form=form, status=400)
    arguments = transitions.action_arguments(action, **form.arguments())
    try:
        transitions.perform(action, request=req, by=request.user, **arguments)
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Request #{req.pk} is now {req.get_state_display().lower()}.")
    return redirect(req)


@login_required
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    req = _get_request_for_viewer(request, pk)
    if not lifecycle_access.can_edit_request(request.user, req):
        raise PermissionDenied("You may not edit this request.")
    successors = (
        forms.successor_options(req.community.slug, req.product.slug)
        if req.kind == LifecycleRequest.Kind.OFFRAMP
        else []
    )
    status = 200
    if request.method == "POST":
        form = RequestUpdateForm(request.POST, kind=req.kind, successors=successors)
        if form.is_valid():
            try:
                transitions.request_update(request=req, by=request.user, **form.cleaned_data)
            except TransitionNotAllowed as exc:
                # Decided meanwhile: nothing here can be saved any more.
                messages.error(request, str(exc))
                return redirect(req)
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 400
            else:
                messages.success(request, f"Request #{req.pk} updated.")
                return redirect(req)
        else:
            status = 400
    else:
        initial = {f: getattr(req, f) for f in transitions.EDITABLE_FIELDS}
        initial["successor"] = req.successor.slug if req.successor else ""
        form = RequestUpdateForm(initial=initial, kind=req.kind, successors=successors)
    context = {"req": req, "form": form, "decided": req.state not in transitions.OPEN_STATES}
    return render(request, "lifecycle/edit.html", context, status=status)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Submitted and in-review requests of the communities the user leads (all: hub admin),
    oldest first."""
    queryset = LifecycleRequest.objects.filter(
        state__in=[LifecycleRequest.State.SUBMITTED, LifecycleRequest.State.IN_REVIEW]
    )
    if not roles.is_hub_admin(request.user):
        queryset = queryset.filter(community_id__in=spokes_access.lead_community_ids(request.user))
    queryset = queryset.for_list().order_by("submitted_at", "created_at", "id")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "leads_any": bool(spokes_access.lead_community_ids(request.user)),
        "due_for_review": _due_for_review(request.user),
    }
    return render(request, "lifecycle/review.html", context)


def _due_for_review(user) -> list[tuple[Community, list]]:
    """(community, its members' assessments due for re-review) for each community the user
    leads (every one: hub admins) with at least one, by community name."""
    communities = Community.objects.exclude(policy_set=None).select_related("policy_set")
    if not roles.is_hub_admin(user):
        communities = communities.filter(pk__in=spokes_access.lead_community_ids(user))
    communities = list(communities.order_by("name"))
    due = review.due_by_community(communities)
    return [(c, due[c.pk]) for c in communities if due.get(c.pk)]


def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(Decision.objects.for_list(), pk=pk)
    votes = list(decision.votes.all())
    can_vote = decision.outcome == Decision.Outcome.PENDING and lifecycle_access.can_vote(
        request.user, decision
    )
    context = {
        "decision": decision,
        "req": getattr(decision, "request", None),
        "votes": votes,
        "tally": decisions.tally(decision, votes=votes, seats=decision.seat_count),
        "can_vote": can_vote,
        "vote_form": VoteForm() if can_vote else None,
        "my_vote": next((v for v in votes if v.voter_id == request.user.pk), None),
    }
    return render(request, "lifecycle/decision_detail.html", context)


@login_required
@require_POST
def decision_vote(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(Decision, pk=pk)
    if not lifecycle_access.can_vote(request.user, decision):
        raise PermissionDenied("Only seat holders of the governance body may vote.")
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose yes, no or abstain to vote.")
    else:
        try:
            _vote, created = decisions.cast_vote(
                decision=decision, by=request.user, **form.cleaned_data
            )
        except TransitionNotAllowed as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Vote recorded." if created else "Vote changed.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("lifecycle:decision-detail", kwargs={"pk": decision.pk})
    return redirect(target)
