"""Forms of the lifecycle pages: a new request, its offramp plan, an action, a vote."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.db.models.functions import Lower

from accounts import roles
from lifecycle.models import LifecycleRequest, Vote
from products.forms import DatalistInput, product_options
from products.models import Membership, Product
from spokes import access as spokes_access
from spokes.models import Community

OFFRAMP_FIELDS = (
    "reason",
    "successor",
    "support_organization",
    "end_of_support",
    "migration_notes",
    "acknowledge_dependents",
)
# At most this many products are suggested in a product picker's list.
SUGGESTIONS = 500


class _SlugField(forms.ModelChoiceField):
    """A product named by its slug in a text box (the catalog is too large for a select),
    with suggestions from a datalist when given ``options``."""

    def __init__(self, *, options=(), **kwargs):
        kwargs.setdefault("widget", DatalistInput(options))
        super().__init__(queryset=Product.objects.all(), to_field_name="slug", **kwargs)
        self.error_messages["invalid_choice"] = "No product with this slug."


def product_field(user) -> forms.ModelChoiceField:
    """The product a request is for. Someone who may open requests only for the products
    they maintain picks one in a select (anything else is not a choice); a community lead,
    who may open one for any product into their community, or a hub admin types a slug,
    with the products they maintain and their communities' members suggested."""
    maintained = Q(maintainers=user)
    leads = spokes_access.lead_community_ids(user)
    if not (roles.is_hub_admin(user) or leads):
        return forms.ModelChoiceField(
            queryset=Product.objects.filter(maintained).order_by(Lower("name"), "slug"),
            to_field_name="slug",
            empty_label="—",
            help_text="One of the products you maintain.",
            error_messages={"invalid_choice": "Choose one of the products you maintain."},
        )
    members = Q(memberships__community_id__in=leads, memberships__state=Membership.State.ACTIVE)
    suggested = (
        Product.objects.filter(maintained | members)
        .distinct()
        .order_by(Lower("name"), "slug")
        .only("slug", "name")[:SUGGESTIONS]
    )
    return _SlugField(
        options=product_options(suggested),
        help_text="The product's slug, e.g. petsc: the products you maintain and your "
        "communities' members are suggested.",
    )


def successor_options(community_slug: str, exclude: str = "") -> list[tuple[str, str]]:
    """The active members of a community (but ``exclude``), suggested as an offramped
    product's successor."""
    if not community_slug:
        return []
    members = (
        Product.objects.filter(
            memberships__community__slug=community_slug,
            memberships__state=Membership.State.ACTIVE,
        )
        .exclude(slug=exclude)
        .distinct()
        .order_by(Lower("name"), "slug")
        .only("slug", "name")[:SUGGESTIONS]
    )
    return product_options(members)


class PlanFieldsMixin(forms.Form):
    """The rationale, and for an offramp its plan: the form of a request of one ``kind``
    has only that kind's fields."""

    rationale = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text="Optional."
    )
    reason = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *LifecycleRequest.Reason.choices],
        help_text="Why the product leaves.",
    )
    successor = _SlugField(
        required=False, help_text="Optional: the slug of the product that takes its place."
    )
    support_organization = forms.CharField(
        required=False,
        max_length=200,
        help_text="Who supports the product afterwards (its team, E4S, a vendor ...).",
    )
    end_of_support = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="YYYY-MM-DD.",
    )
    migration_notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="How users move on.",
    )
    acknowledge_dependents = forms.BooleanField(
        required=False,
        label="Acknowledge the impact on dependent products",
        help_text="Needed when active products depend on it and there is no successor.",
    )

    def __init__(self, *args, kind: str, successors=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind != LifecycleRequest.Kind.OFFRAMP:
            for name in OFFRAMP_FIELDS:
                del self.fields[name]
        elif successors:
            self.fields["successor"].widget = DatalistInput(successors)

    def clean_reason(self) -> str:
        return self.cleaned_data.get("reason") or ""


class RequestForm(PlanFieldsMixin):
    """A new request of one kind (chosen before the form: ``?kind=``)."""

    kind = forms.ChoiceField(choices=LifecycleRequest.Kind.choices, widget=forms.HiddenInput)
    product = forms.CharField()  # replaced per user: product_field
    community = forms.ModelChoiceField(
        queryset=Community.objects.spokes(), to_field_name="slug", empty_label="—"
    )

    field_order = ["kind", "product", "community", "rationale", *OFFRAMP_FIELDS]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"] = product_field(user)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") and data["kind"] != self.kind:
            raise forms.ValidationError("The kind of request changed; start again.")
        if data.get("successor") and data.get("successor") == data.get("product"):
            self.add_error("successor", "A product cannot succeed itself.")
        return data


class RequestUpdateForm(PlanFieldsMixin):
    pass


class ActionForm(forms.Form):
    """The body of an action on the request page. Reject and withdraw end the request for
    good: the page asks for their confirmation (the API's body needs none)."""

    CONSEQUENTIAL = frozenset({"reject", "withdraw"})

    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    successor = _SlugField(required=False)
    acknowledge_dependents = forms.BooleanField(required=False)
    acknowledge_critical = forms.BooleanField(required=False)
    confirm = forms.BooleanField(required=False)

    def __init__(self, *args, action: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.action = action

    def clean_confirm(self) -> bool:
        confirmed = self.cleaned_data.get("confirm", False)
        if self.action in self.CONSEQUENTIAL and not confirmed:
            raise forms.ValidationError(f"Tick the box to confirm: {self.action} cannot be undone.")
        return confirmed

    def arguments(self) -> dict:
        """The cleaned body, less the page's own confirmation."""
        return {k: v for k, v in self.cleaned_data.items() if k != "confirm"}


class VoteForm(forms.Form):
    choice = forms.ChoiceField(choices=Vote.Choice.choices, widget=forms.RadioSelect)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
