"""Forms of the planning and meeting pages; the writes go through ``planning.services``."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth import get_user_model

from planning.models import ChangeRequest, Meeting, Milestone, MilestoneOutcome, Status
from planning.services import PROGRESS_STATUSES
from products.models import Product
from spokes.models import Community

DATE = forms.DateInput(attrs={"type": "date"})


class AsOfForm(forms.Form):
    """The dashboard's query: a year and a date (`?year=`, `?as_of=`)."""

    year = forms.IntegerField(required=False, min_value=2000, max_value=2100)
    as_of = forms.DateField(required=False, label="As of", widget=DATE)

    def year_and_date(self) -> tuple[int, datetime.date]:
        today = datetime.date.today()
        as_of = self.cleaned_data.get("as_of") or today
        return self.cleaned_data.get("year") or as_of.year, as_of


class PlanForm(forms.Form):
    community = forms.ModelChoiceField(queryset=Community.objects.none(), to_field_name="slug")
    year = forms.IntegerField(min_value=2000, max_value=2100)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, communities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class ProductsField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Hold Ctrl (⌘ on a Mac) to choose several.")
        super().__init__(queryset=Product.objects.order_by("name"), to_field_name="slug", **kwargs)

    def label_from_instance(self, obj) -> str:
        return obj.name


class MilestoneForm(forms.Form):
    title = forms.CharField(max_length=300)
    due = forms.DateField(widget=DATE)
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
        required=False,
        help_text="A registry user; or give a name below.",
    )
    owner_name = forms.CharField(max_length=200, required=False, label="Owner's name")
    products = ProductsField()


class ProgressForm(forms.Form):
    date = forms.DateField(widget=DATE)
    status = forms.ChoiceField(
        choices=[(s, Status(s).label) for s in PROGRESS_STATUSES], label="Status after"
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ChangeRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=ChangeRequest.Kind.choices)
    milestone = forms.ModelChoiceField(
        queryset=Milestone.objects.none(),
        required=False,
        help_text="The milestone to drop or re-scope (none for an add).",
    )
    title = forms.CharField(
        max_length=300, required=False, help_text="Add: the title. Re-scope: a new one, or empty."
    )
    due = forms.DateField(
        widget=DATE, required=False, help_text="Add: the due date. Re-scope: a new one, or empty."
    )
    products = ProductsField(help_text="Add: its products. Re-scope: tick replace below.")
    replace_products = forms.BooleanField(
        required=False, label="Re-scope: replace the milestone's products with these"
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, plan, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = plan.milestones.exclude(
            status__in=(Status.DONE, Status.DROPPED)
        )

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        replace = data.pop("replace_products")
        products = list(data["products"])
        if data["kind"] == ChangeRequest.Kind.RESCOPE:
            data["products"] = products if replace else None
        else:
            data["products"] = products or None
        return data


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    decided_on = forms.DateField(
        required=False, widget=DATE, help_text="Today when left empty.", label="Decided on"
    )


class AssessmentForm(forms.Form):
    narrative = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))
    assessed_on = forms.DateField(required=False, widget=DATE, help_text="Today when left empty.")

    def __init__(self, *args, milestones, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.milestones = list(milestones)
        for m in self.milestones:
            self.fields[f"outcome_{m.pk}"] = forms.ChoiceField(
                label=f"Outcome: {m.title}", choices=MilestoneOutcome.Outcome.choices
            )
            self.fields[f"note_{m.pk}"] = forms.CharField(label=f"Note: {m.title}", required=False)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "narrative": data["narrative"],
            "assessed_on": data["assessed_on"],
            "outcomes": [
                {
                    "milestone": m,
                    "outcome": data[f"outcome_{m.pk}"],
                    "note": data[f"note_{m.pk}"],
                }
                for m in self.milestones
            ],
        }


class MeetingForm(forms.Form):
    slug = forms.SlugField(max_length=100)
    title = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=Meeting.Kind.choices)
    format = forms.ChoiceField(choices=Meeting.Format.choices, required=False)
    starts = forms.DateField(widget=DATE)
    ends = forms.DateField(widget=DATE)
    place = forms.CharField(max_length=300, required=False)
    communities = forms.ModelMultipleChoiceField(
        queryset=Community.objects.exclude(kind=Community.Kind.HUB).order_by("name"),
        to_field_name="slug",
        required=False,
        help_text="Participating spokes and communities of practice.",
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    agenda = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="One agenda item per line, in order.",
    )
    source = forms.CharField(max_length=500, required=False)

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        lines = [line.strip() for line in data.pop("agenda").splitlines()]
        data["agenda"] = [{"title": line} for line in lines if line]
        return data
