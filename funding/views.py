"""Funding pages: the calls (`/funding/`), a call with its published results
(`/funding/{slug}/`, CSV with `?export=csv`), and a proposal with the panel's review form
and the comments (`/funding/proposals/{id}/`). Writes go through the services the API
uses."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.roles import is_hub_admin
from events.errors import TransitionNotAllowed
from funding import access, ranking, services, transitions
from funding.forms import CommentForm, ReviewForm
from funding.models import FundingCall, Proposal, Review
from peso_registry.renderers import neutralise_cell


def _get_call(request: HttpRequest, slug: str) -> FundingCall:
    return get_object_or_404(FundingCall.objects.visible_to(request.user).for_list(), slug=slug)


def _get_proposal(request: HttpRequest, pk: int) -> Proposal:
    """The proposal, if the viewer may see it (someone else's draft is a 404)."""
    visible = Proposal.objects.visible_to(request.user).for_list()
    return get_object_or_404(visible.prefetch_related("call__criteria"), pk=pk)


def call_list(request: HttpRequest) -> HttpResponse:
    calls = FundingCall.objects.visible_to(request.user).order_by("-year", "slug")
    return render(request, "funding/call_list.html", {"calls": calls})


def _results(call: FundingCall, user) -> list[ranking.Ranked]:
    rows = ranking.rank(call)
    admin = is_hub_admin(user)
    for row in rows:
        row.decision = getattr(row.proposal, "decision", None)
        for review in row.reviews:
            review.reviewer_shown = (
                admin or call.reviewers_public or review.panel_member.user_id == user.pk
            )
    return rows


def call_detail(request: HttpRequest, slug: str) -> HttpResponse:
    call = _get_call(request, slug)
    scores_visible = access.can_see_scores(request.user, call)
    if request.GET.get("export") == "csv":
        if not scores_visible:
            raise PermissionDenied("The results are published once the call is decided.")
        return _results_csv(call, _results(call, request.user))
    proposals = (
        Proposal.objects.visible_to(request.user)
        .filter(call=call)
        .select_related("community")
        .prefetch_related("budget_lines")
    )
    context = {
        "call": call,
        "criteria": list(call.criteria.all()),
        "panel": list(call.panel.all()),
        "proposals": proposals,
        "scores_visible": scores_visible,
        "results": _results(call, request.user) if scores_visible else [],
        "actions": transitions.allowed_call_actions(request.user, call),
    }
    return render(request, "funding/call_detail.html", context)


def _results_csv(call: FundingCall, rows: list[ranking.Ranked]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{call.slug}-results.csv"'
    names = [c.name for c in call.criteria.all()]
    writer = csv.writer(response)
    writer.writerow(
        [
            *("rank", "proposal", "title", "community", "requested_total", "score"),
            *names,
            *("reviews", "outcome", "amount", "rationale"),
        ]
    )
    for row in rows:
        decision = row.decision
        cells = [
            row.rank or "",
            row.proposal.pk,
            row.proposal.title,
            row.proposal.community.slug,
            row.proposal.requested_total,
            row.score if row.score is not None else "",
            *[row.means.get(n, "") for n in names],
            len(row.reviews),
            decision.outcome if decision else "",
            decision.amount if decision else "",
            decision.rationale if decision else "",
        ]
        writer.writerow([neutralise_cell(c) for c in cells])
    return response


def _render_proposal(
    request, proposal: Proposal, *, review_form=None, comment_form=None, status=200
):
    user = request.user
    call = proposal.call
    criteria = list(call.criteria.all())
    seat = access.panel_seat(user, call)
    conflict = access.conflict_of(seat, proposal) if seat else None
    own = Review.objects.filter(proposal=proposal, panel_member=seat).first() if seat else None
    may_review = (
        seat is not None and conflict is None and proposal.state == Proposal.State.UNDER_REVIEW
    )
    if may_review and review_form is None:
        review_form = ReviewForm(
            criteria=criteria,
            initial={"comment": own.comment if own else ""},
            initial_scores=own.scores if own else None,
        )
    may_comment = access.can_comment(user, proposal) and proposal.state in (
        Proposal.State.SUBMITTED,
        Proposal.State.UNDER_REVIEW,
    )
    ranking.with_visible_scores([proposal], user)
    reviews = []
    if proposal.visible_score is not None:
        reviews = list(Review.objects.filter(proposal=proposal).for_list())
        ranking.with_reviewers(reviews, user)
    context = {
        "proposal": proposal,
        "call": call,
        "criteria": criteria,
        "seat": seat,
        "conflict": conflict,
        "own_review": own,
        "review_form": review_form if may_review else None,
        "comment_form": (comment_form or CommentForm()) if may_comment else None,
        "comments": proposal.comments.select_related("author"),
        "reviews": reviews,
        "actions": transitions.allowed_proposal_actions(user, proposal),
    }
    return render(request, "funding/proposal_detail.html", context, status=status)


def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_proposal(request, _get_proposal(request, pk))


@login_required
@require_POST
def proposal_review(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(request, pk)
    refusal = access.review_refusal(request.user, proposal)
    if refusal:
        raise PermissionDenied(refusal)
    form = ReviewForm(request.POST, criteria=list(proposal.call.criteria.all()))
    if not form.is_valid():
        return _render_proposal(request, proposal, review_form=form, status=400)
    try:
        _, created = services.review_record(
            proposal=proposal,
            by=request.user,
            scores=form.scores(),
            comment=form.cleaned_data["comment"],
        )
    except (TransitionNotAllowed, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, "Your review is saved." if created else "Your review is updated.")
    return redirect(proposal)


@login_required
@require_POST
def proposal_comment(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(request, pk)
    if not access.can_comment(request.user, proposal):
        raise PermissionDenied("Leads of the proposal's spoke and stakeholders comment.")
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _render_proposal(request, proposal, comment_form=form, status=400)
    try:
        services.comment_add(proposal=proposal, by=request.user, body=form.cleaned_data["body"])
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your comment is posted.")
    return redirect(proposal)


@login_required
@require_POST
def proposal_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in transitions.PROPOSAL_SERVICES:
        raise Http404("No such action.")
    proposal = _get_proposal(request, pk)
    if not access.can_edit_proposal(request.user, proposal):
        raise PermissionDenied(f"Only the proposal's author may {action} it.")
    try:
        transitions.PROPOSAL_SERVICES[action](proposal=proposal, by=request.user)
    except (TransitionNotAllowed, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"The proposal is now {proposal.get_state_display().lower()}.")
    return redirect(proposal)
