"""Forms of the lifecycle pages: a new request, its offramp plan, an action, a vote."""

from __future__ import annotations

from django import forms

from lifecycle.models import LifecycleRequest, Vote
from products.models import Product
from spokes.models import Community


class _SlugField(forms.ModelChoiceField):
    """A product named by its slug in a text box (the catalog is too large for a select)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off"}))
        super().__init__(queryset=Product.objects.all(), to_field_name="slug", **kwargs)
        self.error_messages["invalid_choice"] = "No product with this slug."


class PlanFieldsMixin(forms.Form):
    rationale = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text="Optional."
    )
    reason = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *LifecycleRequest.Reason.choices],
        help_text="Offramp: why the product leaves.",
    )
    successor = _SlugField(required=False, help_text="Offramp: slug of the successor product.")
    support_organization = forms.CharField(
        required=False,
        max_length=200,
        help_text="Offramp: who supports the product afterwards (its team, E4S, a vendor ...).",
    )
    end_of_support = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Offramp: YYYY-MM-DD.",
    )
    migration_notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text="Offramp."
    )
    acknowledge_dependents = forms.BooleanField(
        required=False,
        label="Acknowledge the impact on dependent products",
        help_text="Offramp: needed when active products depend on it and there is no successor.",
    )

    def clean_reason(self) -> str:
        return self.cleaned_data.get("reason") or ""


class RequestForm(PlanFieldsMixin):
    kind = forms.ChoiceField(choices=LifecycleRequest.Kind.choices)
    product = _SlugField(help_text="The product's slug, e.g. petsc.")
    community = forms.ModelChoiceField(
        queryset=Community.objects.spokes(), to_field_name="slug", empty_label="—"
    )

    field_order = [
        "kind",
        "product",
        "community",
        "rationale",
        "reason",
        "successor",
        "support_organization",
        "end_of_support",
        "migration_notes",
        "acknowledge_dependents",
    ]

    def clean(self) -> dict:
        data = super().clean()
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
