"""HTML pages for lifecycle requests, the review queue and decisions (DESIGN §7).

Views stay short: the rules live in ``products.lifecycle``, ``products.checklist``,
``spokes.governance`` and ``spokes.access``. A refused transition re-renders the request page
with the service's message and status 409.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from peso_registry.exceptions import TransitionNotAllowed
from products import lifecycle
from products.lifecycle_forms import (
    ActionForm,
    RequestFilter,
    RequestForm,
    RequestUpdateForm,
    VoteForm,
)
from products.models import LifecycleRequest
from spokes import access, governance
from spokes.models import Decision

PAGE_SIZE = 50


def _get_request_for_viewer(request: HttpRequest, pk: int) -> LifecycleRequest:
    """The request, if the viewer may see it (someone else's draft is a 404)."""
    req = get_object_or_404(lifecycle.for_list(LifecycleRequest.objects.all()), pk=pk)
    if not access.can_view_request(request.user, req):
        raise Http404("No such request.")
    return req


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def request_list(request: HttpRequest) -> HttpResponse:
    visible = lifecycle.visible_requests(request.user)
    queryset = lifecycle.for_list(visible).order_by("-created_at", "-id")
    filterset = RequestFilter(request.GET or None, queryset=queryset)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "page": page, "querystring": _querystring(request)}
    return render(request, "products/requests/list.html", context)


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = RequestForm(request.POST)
        if form.is_valid():
            try:
                req = lifecycle.request_create(by=request.user, **form.cleaned_data)
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
        prefill = {k: request.GET[k] for k in ("kind", "product", "community") if k in request.GET}
        form = RequestForm(initial=prefill)
    return render(request, "products/requests/new.html", {"form": form}, status=status)


def _render_detail(
    request: HttpRequest,
    req: LifecycleRequest,
    *,
    error: str = "",
    action_form: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    decision = None
    votes: list = []
    result_tally = None
    if req.decision_id:
        decision = governance.decisions_for_list().get(pk=req.decision_id)
        votes = list(decision.votes.all())
        result_tally = governance.tally(decision, votes=votes, seats=decision.seat_count)
    can_vote = (
        decision is not None
        and decision.outcome == Decision.Outcome.PENDING
        and access.can_vote(user, decision)
    )
    shown_checklist, checklist_as_of = lifecycle.checklist_of(req)
    context = {
        "req": req,
        "checklist": shown_checklist,
        "checklist_as_of": checklist_as_of,
        "actions": [(a, lifecycle.ACTION_LABELS[a]) for a in lifecycle.allowed_actions(user, req)],
        "can_update": lifecycle.can_update(user, req),
        "decision": decision,
        "votes": votes,
        "tally": result_tally,
        "can_vote": can_vote,
        "my_vote": next((v for v in votes if v.voter_id == user.pk), None) if can_vote else None,
        "vote_form": VoteForm() if can_vote else None,
        "action_form": action_form or ActionForm(),
        "error": error,
    }
    return render(request, "products/requests/detail.html", context, status=status)


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _get_request_for_viewer(request, pk))


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in lifecycle.ACTIONS:
        raise Http404("No such action.")
    req = _get_request_for_viewer(request, pk)
    if not lifecycle.may_take(request.user, req, action):
        raise PermissionDenied(f"You may not {lifecycle.ACTION_LABELS[action].lower()} it.")
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _render_detail(
            request, req, error="Please correct the errors below.", action_form=form, status=400
        )
    kwargs = {"rationale": form.cleaned_data["rationale"]}
    if action == "approve":
        if form.cleaned_data["successor"]:
            kwargs["successor"] = form.cleaned_data["successor"]
        if form.cleaned_data["acknowledge_dependents"]:
            kwargs["acknowledge_dependents"] = True
    try:
        lifecycle.perform(action, request=req, by=request.user, **kwargs)
    except TransitionNotAllowed as exc:
        return _render_detail(request, req, error=str(exc), action_form=form, status=409)
    messages.success(request, f"Request #{req.pk} is now {req.get_state_display().lower()}.")
    return redirect(req)


@login_required
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    req = _get_request_for_viewer(request, pk)
    if not access.can_edit_request(request.user, req):
        raise PermissionDenied("You may not edit this request.")
    status = 200
    if request.method == "POST":
        form = RequestUpdateForm(request.POST)
        if form.is_valid():
            try:
                lifecycle.request_update(request=req, by=request.user, **form.cleaned_data)
            except TransitionNotAllowed as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 400
            else:
                messages.success(request, f"Request #{req.pk} updated.")
                return redirect(req)
        else:
            status = 400
    else:
        initial = {f: getattr(req, f) for f in lifecycle.EDITABLE_FIELDS}
        initial["successor"] = req.successor.slug if req.successor else ""
        form = RequestUpdateForm(initial=initial)
    context = {"req": req, "form": form, "decided": req.state not in lifecycle.OPEN_STATES}
    return render(request, "products/requests/edit.html", context, status=status)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Submitted and in-review requests of the communities the user leads (all: hub admin),
    oldest first."""
    queryset = LifecycleRequest.objects.filter(
        state__in=[LifecycleRequest.State.SUBMITTED, LifecycleRequest.State.IN_REVIEW]
    )
    if not access.is_hub_admin(request.user):
        queryset = queryset.filter(community_id__in=access.lead_community_ids(request.user))
    queryset = lifecycle.for_list(queryset).order_by("submitted_at", "created_at", "id")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "leads_any": bool(access.lead_community_ids(request.user))}
    return render(request, "products/requests/review.html", context)


def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(governance.decisions_for_list(), pk=pk)
    votes = list(decision.votes.all())
    can_vote = decision.outcome == Decision.Outcome.PENDING and access.can_vote(
        request.user, decision
    )
    context = {
        "decision": decision,
        "req": getattr(decision, "request", None),
        "votes": votes,
        "tally": governance.tally(decision, votes=votes, seats=decision.seat_count),
        "can_vote": can_vote,
        "vote_form": VoteForm() if can_vote else None,
        "my_vote": next((v for v in votes if v.voter_id == request.user.pk), None),
    }
    return render(request, "spokes/decision_detail.html", context)


@login_required
@require_POST
def decision_vote(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(Decision, pk=pk)
    if not access.can_vote(request.user, decision):
        raise PermissionDenied("Only seat holders of the governance body may vote.")
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose yes, no or abstain to vote.")
    else:
        try:
            _vote, created = governance.cast_vote(
                decision=decision, by=request.user, **form.cleaned_data
            )
        except TransitionNotAllowed as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Vote recorded." if created else "Vote changed.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("decision-detail", kwargs={"pk": decision.pk})
    return redirect(target)


urlpatterns = [
    path("requests/", request_list, name="request-list"),
    path("requests/new/", request_new, name="request-new"),
    path("requests/<int:pk>/", request_detail, name="request-detail"),
    path("requests/<int:pk>/edit/", request_edit, name="request-edit"),
    path("requests/<int:pk>/<str:action>/", request_action, name="request-action"),
    path("review/", review_queue, name="review-queue"),
    path("decisions/<int:pk>/", decision_detail, name="decision-detail"),
    path("decisions/<int:pk>/vote/", decision_vote, name="decision-vote"),
]
