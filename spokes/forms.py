"""Forms for the community lead's pages: the community, its roles, its governance body and
seats, and the policy sets it owns.

Forms validate and shape the input; every write goes through spokes.services (permission,
transaction, history, Event). A rule the service enforces again (term order, one seat per
person) is checked here too so that the page can mark the row at fault.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db import models, transaction

from events.validation import validate_web_url
from spokes import services
from spokes.models import Community, CommunityRole, GovernanceBody, Policy, PolicySet, Seat

URL_SCHEME = "https"  # what a bare "example.org" typed in a URL field becomes
RESERVED_COMMUNITY_SLUGS = frozenset({"new"})  # /communities/new/ is the creation page
COMMUNITY_FIELDS = [
    "name",
    "full_name",
    "summary",
    "area",
    "website",
    "status",
    "status_note",
    "charter",
    "policy_set",
    "requires_interoperability",
]


def _formfield(field: models.Field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = URL_SCHEME
        # The form field checks first; the model's validators run only on a value it passed.
        kwargs["validators"] = [validate_web_url]
    return field.formfield(**kwargs)


def _find_users(usernames: list[str]) -> dict[str, Any]:
    """username → user, for the given names, in one query."""
    if not usernames:
        return {}
    users = get_user_model().objects.filter(username__in=usernames)
    return {u.get_username(): u for u in users}


# --- The community ---------------------------------------------------------------------


class CommunityForm(forms.ModelForm):
    """Edit a community. The instance the form works on is a copy, so an invalid POST never
    changes the object the page (and the service's comparison) reads."""

    class Meta:
        model = Community
        fields = COMMUNITY_FIELDS
        labels = {
            "summary": "Short description",
            "status_note": "Status note",
            "charter": "Charter (Markdown)",
            "requires_interoperability": "Onramp requires interoperability",
        }
        help_texts = {
            "charter": "Markdown. Links, lists, headings and tables are kept; scripts and "
            "raw HTML are removed when it is shown.",
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "status_note": forms.Textarea(attrs={"rows": 2}),
            "charter": forms.Textarea(attrs={"rows": 16}),
        }
        formfield_callback = _formfield

    def __init__(self, *args, community: Community | None = None, **kwargs):
        self.community = community
        if community is not None:
            kwargs["instance"] = copy.copy(community)
        super().__init__(*args, **kwargs)
        self.fields["policy_set"].queryset = PolicySet.objects.order_by("name", "version")
        self.fields["policy_set"].empty_label = "No policy set"

    def save(self, *, by) -> Community:  # type: ignore[override]
        data = self.cleaned_data
        changes = {k: data[k] for k in COMMUNITY_FIELDS}
        return services.update_community(community=self.community, by=by, **changes)


class CommunityCreateForm(CommunityForm):
    lead = forms.CharField(
        label="First lead (username)",
        required=False,
        max_length=150,
        help_text="Optional: the user who will lead the community.",
    )

    class Meta(CommunityForm.Meta):
        fields = ["slug", *COMMUNITY_FIELDS]
        help_texts = {
            **CommunityForm.Meta.help_texts,
            "slug": "Its stable identifier in URLs and the API, e.g. xsdk.",
        }

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_COMMUNITY_SLUGS:
            raise forms.ValidationError(f"“{slug}” is reserved; choose another slug.")
        return slug

    def clean_lead(self):
        username = self.cleaned_data["lead"].strip()
        if not username:
            return None
        user = _find_users([username]).get(username)
        if user is None:
            raise forms.ValidationError(f"No user with the username “{username}”.")
        return user

    def save(self, *, by) -> Community:  # type: ignore[override]
        data = self.cleaned_data
        fields = {k: data[k] for k in COMMUNITY_FIELDS if k != "name"}
        with transaction.atomic():
            community = services.create_community(
                by=by, slug=data["slug"], name=data["name"], **fields
            )
            if data["lead"] is not None:
                services.grant_role(
                    user=data["lead"], community=community, role=CommunityRole.Role.LEAD, by=by
                )
        return community


# --- Roles ------------------------------------------------------------------------------


class RoleGrantForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150)
    role = forms.ChoiceField(choices=CommunityRole.Role.choices)

    def __init__(self, *args, community: Community, **kwargs):
        self.community = community
        super().__init__(*args, **kwargs)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = _find_users([username]).get(username)
        if user is None:
            raise forms.ValidationError(f"No user with the username “{username}”.")
        return user

    def clean(self):
        data = super().clean()
        user, role = data.get("username"), data.get("role")
        if user and role and self.community.roles.filter(user=user, role=role).exists():
            label = CommunityRole.Role(role).label.lower()
            self.add_error("username", f"{user.get_username()} is already {label} here.")
        return data

    def save(self, *, by) -> CommunityRole:
        row, _ = services.grant_role(
            user=self.cleaned_data["username"],
            community=self.community,
            role=self.cleaned_data["role"],
            by=by,
        )
        return row


class RoleRevokeForm(forms.Form):
    role = forms.ModelChoiceField(
        queryset=CommunityRole.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That role has already been removed."},
    )

    def __init__(self, *args, community: Community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = community.roles.select_related("user", "community")

    def save(self, *, by) -> CommunityRole:
        role = self.cleaned_data["role"]
        services.revoke_role(role=role, by=by)
        return role


# --- Governance body and seats -----------------------------------------------------------


FRACTION_HELP = "A fraction between 0 and 1 (0.5) or a percentage (50%)."


class FractionField(forms.CharField):
    """A fraction in [0, 1], typed as 0.667 or 66.7%; stored with three decimals."""

    default_error_messages = {
        "invalid": "Enter a fraction between 0 and 1 (e.g. 0.5) or a percentage (e.g. 50%).",
    }

    def to_python(self, value) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value).strip().replace(" ", "")
        if not text:
            return None
        percent = text.endswith("%")
        try:
            number = Decimal(text.removesuffix("%"))
        except InvalidOperation:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not number.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if percent:
            number /= 100
        if not Decimal(0) <= number <= Decimal(1):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number.quantize(Decimal("0.001"))

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return f"{(value * 100).normalize():f}%"
        return value


class GovernanceForm(forms.Form):
    name = forms.CharField(label="Name of the body", max_length=200)
    quorum = FractionField(
        label="Quorum", help_text=f"Share of seats that must vote. {FRACTION_HELP}"
    )
    threshold = FractionField(
        label="Approval threshold",
        help_text=f"Share of the votes cast (yes / (yes + no)) needed to approve. {FRACTION_HELP}",
    )
    requires_vote = forms.BooleanField(
        label="Lifecycle approvals need a vote meeting quorum and threshold", required=False
    )

    @staticmethod
    def initial_for(body: GovernanceBody | None) -> dict[str, Any]:
        if body is None:
            return {"quorum": Decimal("0.5"), "threshold": Decimal("0.5")}
        return {k: getattr(body, k) for k in services.GOVERNANCE_FIELDS}


class SeatRowForm(forms.Form):
    username = forms.CharField(label="Holder (username)", required=False, max_length=150)
    represents = forms.ChoiceField(
        label="Represents", choices=Seat.Represents.choices, initial=Seat.Represents.PRODUCT_TEAM
    )
    represents_name = forms.CharField(label="Team or organisation", required=False, max_length=200)
    term_start = forms.DateField(
        label="Term start", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    term_end = forms.DateField(
        label="Term end", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("term_start"), data.get("term_end")
        if start and end and end < start:
            self.add_error("term_end", "The term ends before it starts.")
        if not data.get("username", "").strip() and (data.get("represents_name") or start or end):
            self.add_error("username", "Enter the username of the seat holder.")
        return data


class BaseSeatFormSet(forms.BaseFormSet):
    """The body's seats; a row left without a username, or ticked Remove, is dropped."""

    def _kept(self) -> list[forms.Form]:
        return [
            f
            for f in self.forms
            if not self._should_delete_form(f) and f.cleaned_data.get("username", "").strip()
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        names = [f.cleaned_data["username"].strip() for f in self._kept()]
        self.users = _find_users(names)
        seen: set[str] = set()
        for form, name in zip(self._kept(), names, strict=True):
            if name not in self.users:
                form.add_error("username", f"No user with the username “{name}”.")
            elif name in seen:
                form.add_error("username", "This person already holds a seat on the body.")
            seen.add(name)

    def seats(self) -> list[dict[str, Any]]:
        """The rows as spokes.services expects them."""
        return [
            {
                "user": self.users[f.cleaned_data["username"].strip()],
                "represents": f.cleaned_data["represents"],
                "represents_name": f.cleaned_data["represents_name"],
                "term_start": f.cleaned_data["term_start"],
                "term_end": f.cleaned_data["term_end"],
            }
            for f in self._kept()
        ]


SeatFormSet = forms.formset_factory(
    SeatRowForm, formset=BaseSeatFormSet, extra=3, can_delete=True, max_num=500
)


def seat_initial(seats) -> list[dict[str, Any]]:
    return [
        {
            "username": s.user.get_username(),
            "represents": s.represents,
            "represents_name": s.represents_name,
            "term_start": s.term_start,
            "term_end": s.term_end,
        }
        for s in seats
    ]


# --- Policy sets ------------------------------------------------------------------------


class PolicySetForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    version = forms.CharField(
        label="Version in force",
        max_length=32,
        help_text="Enter a new version to adopt it: the rows below become that version's "
        "policies; the current version's policies and the assessments made against them "
        "stay as they are.",
    )
    adopted = forms.CharField(
        label="Adopted", required=False, max_length=32, help_text="When the version was adopted."
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, policy_set: PolicySet, **kwargs):
        self.policy_set = policy_set
        kwargs.setdefault("initial", {k: getattr(policy_set, k) for k in self.base_fields})
        super().__init__(*args, **kwargs)

    def clean_version(self) -> str:
        version = self.cleaned_data["version"].strip()
        if (
            version != self.policy_set.version
            and self.policy_set.policies.filter(version=version).exists()
        ):
            raise forms.ValidationError(
                f"Version {version} already has policies; choose a new version."
            )
        return version

    def save(self, *, by, policies: list[dict[str, Any]]) -> PolicySet:
        """The set's fields and the own policies of the version in force after the save
        (a new version when `version` changed)."""
        return services.update_policy_set(
            policy_set=self.policy_set, by=by, policies=policies, **self.cleaned_data
        )


class PolicyRowForm(forms.Form):
    code = forms.CharField(label="Code", required=False, max_length=16)
    title = forms.CharField(label="Title", required=False, max_length=300)
    summary = forms.CharField(
        label="Summary", required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 30})
    )
    level = forms.ChoiceField(
        label="Level", choices=Policy.Level.choices, initial=Policy.Level.MANDATORY
    )
    source_url = forms.URLField(
        label="Source URL",
        required=False,
        max_length=200,
        assume_scheme=URL_SCHEME,
        validators=[validate_web_url],
    )
    adapts = forms.ChoiceField(label="Adapts", required=False)

    def __init__(self, *args, adapt_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adapts"].choices = [("", "Nothing"), *adapt_choices]

    def clean(self):
        data = super().clean()
        code, title = data.get("code", "").strip(), data.get("title", "").strip()
        if code and not title:
            self.add_error("title", "A policy needs a title.")
        if title and not code:
            self.add_error("code", "A policy needs a code.")
        data["code"], data["title"] = code, title
        return data


class BasePolicyFormSet(forms.BaseFormSet):
    """The set's own policies; a row without a code, or ticked Remove, is dropped."""

    def _kept(self) -> list[forms.Form]:
        return [
            f for f in self.forms if not self._should_delete_form(f) and f.cleaned_data.get("code")
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        for form in self._kept():
            code = form.cleaned_data["code"]
            if code in seen:
                form.add_error("code", "Each code appears once.")
            seen.add(code)

    def policies(self) -> list[dict[str, Any]]:
        """The rows, in order, as spokes.services expects them."""
        keys = ("code", "title", "summary", "level", "source_url")
        return [
            {**{k: f.cleaned_data[k] for k in keys}, "adapts": f.cleaned_data["adapts"] or None}
            for f in self._kept()
        ]


PolicyFormSet = forms.formset_factory(
    PolicyRowForm, formset=BasePolicyFormSet, extra=3, can_delete=True, max_num=500
)


def policy_initial(policies) -> list[dict[str, Any]]:
    return [
        {
            "code": p.code,
            "title": p.title,
            "summary": p.summary,
            "level": p.level,
            "source_url": p.source_url,
            "adapts": p.adapts.code if p.adapts_id else "",
        }
        for p in policies
    ]
