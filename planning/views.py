"""Pages for annual plans and meetings (DESIGN §12): the plans index with the year's
figures, a plan's page (milestones, progress, change requests and their decisions, the
assessment), the leads' forms, and the meetings. Writes go through ``planning.services``;
a refused write re-shows the form with the service's message (403) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import roles
from events.errors import TransitionNotAllowed
from planning import access, dashboard, forms, services
from planning.models import (
    AnnualPlan,
    ChangeRequest,
    Meeting,
    Milestone,
    PlanAssessment,
    ProgressUpdate,
)
from spokes.access import lead_community_ids
from spokes.models import Community


def _plan(community: str, year: int) -> AnnualPlan:
    return get_object_or_404(
        AnnualPlan.objects.select_related("community"), community__slug=community, year=year
    )


def _plan_for_lead(request: HttpRequest, community: str, year: int) -> AnnualPlan:
    plan = _plan(community, year)
    if not access.can_plan(request.user, plan.community):
        raise PermissionDenied(services.PLAN_REFUSED)
    return plan


def _assessment_of(plan: AnnualPlan) -> PlanAssessment | None:
    return (
        PlanAssessment.objects.filter(plan=plan)
        .select_related("assessed_by")
        .prefetch_related("outcomes")
        .first()
    )


def _submit(form, call: Callable[[], object]) -> tuple[object | None, int]:
    """Run a service for a valid form: (result, 200), or the refusal on the form and its
    status (403, 400, 409)."""
    try:
        return call(), 200
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return None, 403
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
        return None, 400
    except TransitionNotAllowed as exc:
        form.add_error(None, str(exc))
        return None, 409


def plan_index(request: HttpRequest) -> HttpResponse:
    """Every plan by year, and the year's figures as of a date (`?year=`, `?as_of=`)."""
    form = forms.AsOfForm(request.GET or None)
    status = 200
    if form.is_bound and not form.is_valid():
        form.is_valid()
        status = 400
        figures = None
    else:
        if not form.is_bound:
            form.is_valid()
            form.cleaned_data = {}
        year, as_of = form.year_and_date()
        figures = {
            "year": year,
            "as_of": as_of,
            "plans": dashboard.plans_for(year),
            "at_risk": dashboard.at_risk(as_of),
            "overdue": dashboard.overdue(as_of),
        }
    years = AnnualPlan.objects.order_by("-year").values_list("year", flat=True).distinct()
    context = {
        "form": form,
        "figures": figures,
        "years": list(years),
        "may_plan": roles.is_hub_admin(request.user) or bool(lead_community_ids(request.user)),
    }
    return render(request, "planning/plan_index.html", context, status=status)


def plan_detail(request: HttpRequest, community: str, year: int) -> HttpResponse:
    plan = _plan(community, year)
    milestones = list(
        Milestone.objects.for_list()
        .filter(plan=plan)
        .prefetch_related(
            Prefetch("updates", queryset=ProgressUpdate.objects.select_related("author"))
        )
    )
    changes = list(ChangeRequest.objects.for_list().filter(plan=plan))
    assessment = _assessment_of(plan)
    outcomes = {o.milestone_id: o for o in assessment.outcomes.all()} if assessment else {}
    may_plan = access.can_plan(request.user, plan.community)
    rows = [
        {
            "milestone": m,
            "outcome": outcomes.get(m.pk),
            "may_report": may_plan or access.can_post_progress(request.user, m),
        }
        for m in milestones
    ]
    context = {
        "plan": plan,
        "rows": rows,
        "changes": changes,
        "assessment": assessment,
        "may_plan": may_plan,
        "decision_form": forms.DecisionForm(),
    }
    return render(request, "planning/plan_detail.html", context)


def _form_page(request, template: str, form, context: dict, status: int = 200) -> HttpResponse:
    return render(request, template, {"form": form, **context}, status=status)


@login_required
def plan_new(request: HttpRequest) -> HttpResponse:
    if roles.is_hub_admin(request.user):
        communities = Community.objects.filter(kind__in=services.PLANNING_KINDS)
    else:
        communities = Community.objects.filter(
            pk__in=lead_community_ids(request.user), kind__in=services.PLANNING_KINDS
        )
    if not communities.exists():
        raise PermissionDenied(services.PLAN_REFUSED)
    communities = communities.order_by("name")
    form = forms.PlanForm(request.POST or None, communities=communities)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            plan, status = _submit(
                form, lambda: services.create_plan(by=request.user, **form.cleaned_data)
            )
            if plan is not None:
                messages.success(request, f"Plan for {plan.year} opened.")
                return redirect(plan)
    return _form_page(request, "planning/plan_form.html", form, {}, status)


@login_required
def milestone_new(request: HttpRequest, community: str, year: int) -> HttpResponse:
    plan = _plan_for_lead(request, community, year)
    form = forms.MilestoneForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            milestone, status = _submit(
                form,
                lambda: services.add_milestone(by=request.user, plan=plan, **form.cleaned_data),
            )
            if milestone is not None:
                messages.success(request, f"Milestone “{milestone.title}” added.")
                return redirect(plan)
    return _form_page(
        request,
        "planning/milestone_form.html",
        form,
        {"plan": plan, "heading": "Add a milestone"},
        status,
    )


@login_required
def progress_new(request: HttpRequest, community: str, year: int, pk: int) -> HttpResponse:
    plan = _plan(community, year)
    milestone = get_object_or_404(Milestone.objects.for_list(), plan=plan, pk=pk)
    if not access.can_post_progress(request.user, milestone):
        raise PermissionDenied(services.PROGRESS_REFUSED)
    form = forms.ProgressForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            update, status = _submit(
                form,
                lambda: services.record_progress(
                    by=request.user, milestone=milestone, **form.cleaned_data
                ),
            )
            if update is not None:
                messages.success(request, "Progress recorded.")
                return redirect(milestone)
    context = {"plan": plan, "milestone": milestone, "heading": f"Progress: {milestone.title}"}
    return _form_page(request, "planning/milestone_form.html", form, context, status)


@login_required
def change_new(request: HttpRequest, community: str, year: int) -> HttpResponse:
    plan = _plan_for_lead(request, community, year)
    form = forms.ChangeRequestForm(request.POST or None, plan=plan)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            change, status = _submit(
                form,
                lambda: services.request_change(
                    by=request.user, plan=plan, **form.service_arguments()
                ),
            )
            if change is not None:
                messages.success(request, f"Change request #{change.pk} opened.")
                return redirect(change)
    context = {"plan": plan, "heading": "Propose a change"}
    return _form_page(request, "planning/milestone_form.html", form, context, status)


@login_required
@require_POST
def change_decide(
    request: HttpRequest, community: str, year: int, pk: int, decision: str
) -> HttpResponse:
    plan = _plan(community, year)
    change = get_object_or_404(ChangeRequest.objects.for_list(), plan=plan, pk=pk)
    if decision not in services.DECISIONS:
        raise Http404("No such decision.")
    if not access.can_decide_change(request.user, change):
        raise PermissionDenied(services.DECIDE_REFUSED)
    form = forms.DecisionForm(request.POST)
    if form.is_valid():
        decided, _status = _submit(
            form,
            lambda: services.DECISIONS[decision](
                change=change, by=request.user, **form.cleaned_data
            ),
        )
        if decided is not None:
            messages.success(request, f"Change request #{change.pk} {change.state}.")
            return redirect(change)
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(change)


@login_required
def assess(request: HttpRequest, community: str, year: int) -> HttpResponse:
    plan = _plan_for_lead(request, community, year)
    milestones = list(plan.milestones.all())
    initial = {}
    existing = _assessment_of(plan)
    if existing is not None:
        initial = {"narrative": existing.narrative, "assessed_on": existing.assessed_on}
        for o in existing.outcomes.all():
            initial[f"outcome_{o.milestone_id}"] = o.outcome
            initial[f"note_{o.milestone_id}"] = o.note
    form = forms.AssessmentForm(request.POST or None, milestones=milestones, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            done, status = _submit(
                form,
                lambda: services.assess_plan(
                    by=request.user, plan=plan, **form.service_arguments()
                ),
            )
            if done is not None:
                messages.success(request, "Assessment recorded.")
                return redirect(plan)
    context = {"plan": plan, "heading": f"Assess the {plan.year} plan"}
    return _form_page(request, "planning/milestone_form.html", form, context, status)


def meeting_list(request: HttpRequest) -> HttpResponse:
    meetings = Meeting.objects.for_list().order_by("-starts", "slug")
    context = {"meetings": meetings, "may_record": access.can_manage_meetings(request.user)}
    return render(request, "planning/meeting_list.html", context)


def meeting_detail(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.for_list(), slug=slug)
    return render(request, "planning/meeting_detail.html", {"meeting": meeting})


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    if not access.can_manage_meetings(request.user):
        raise PermissionDenied(services.MEETING_REFUSED)
    form = forms.MeetingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            meeting, status = _submit(
                form, lambda: services.create_meeting(by=request.user, **form.service_arguments())
            )
            if meeting is not None:
                messages.success(request, f"Meeting “{meeting.title}” recorded.")
                return redirect(meeting)
    context = {"heading": "Record a meeting"}
    return _form_page(request, "planning/milestone_form.html", form, context, status)
