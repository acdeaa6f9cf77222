"""Forms of the hub's pages: a stakeholder's record, a use (who relies on which product,
how critically), and a release. Each ``save`` calls a service (``products.services``,
``hub.services``); a refusal becomes errors on the form."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.functions import Lower
from django.forms.models import construct_instance

from hub import access as hub_access
from hub import services as hub_services
from hub.models import Release
from products import access as product_access
from products import services
from products.forms import DatalistInput
from products.models import Product, ProductUse, Stakeholder, validate_stakeholder_slug
from spokes.models import Community

User = get_user_model()
URL_SCHEME = "https"


def _apply(form: forms.Form, error: forms.ValidationError) -> None:
    """A service's ValidationError onto the form: per field where it names one the form
    has, else on the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class StakeholderForm(forms.Form):
    """A stakeholder's record. Hub admins see every field (and name its contacts); its own
    contacts only the website and summary (``products.access.CONTACT_EDITABLE_FIELDS``)."""

    slug = forms.SlugField(
        max_length=100,
        validators=[validate_stakeholder_slug],
        help_text="Its address: /stakeholders/<slug>/.",
    )
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Stakeholder.Kind.choices)
    website = forms.URLField(required=False, max_length=200, assume_scheme=URL_SCHEME)
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    contacts = forms.CharField(
        required=False,
        label="Contacts",
        help_text="Usernames of the registry users who speak for it, separated by commas: "
        "each may record its uses and edit its website and summary.",
    )

    def __init__(self, *args, stakeholder: Stakeholder | None = None, user=None, **kwargs):
        self.stakeholder = stakeholder
        if stakeholder is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": stakeholder.name,
                "kind": stakeholder.kind,
                "website": stakeholder.website,
                "summary": stakeholder.summary,
                "contacts": ", ".join(u.get_username() for u in stakeholder.contacts.all()),
            }
        super().__init__(*args, **kwargs)
        if stakeholder is not None:
            del self.fields["slug"]  # a stakeholder's slug never changes
        if not product_access.can_manage_stakeholders(user):
            for name in list(self.fields):
                if name not in product_access.CONTACT_EDITABLE_FIELDS:
                    del self.fields[name]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Stakeholder.objects.filter(slug=slug).exists():
            raise forms.ValidationError("A stakeholder with this slug exists already.")
        return slug

    def clean_contacts(self) -> list:
        names = [n.strip() for n in self.cleaned_data["contacts"].split(",") if n.strip()]
        names = list(dict.fromkeys(names))
        found = {
            u.get_username(): u
            for u in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": names}, is_active=True)
        }
        missing = [n for n in names if n not in found]
        if missing:
            raise forms.ValidationError(f"No such user: {', '.join(missing)}.")
        return [found[n] for n in names]

    def save(self, *, by) -> Stakeholder | None:
        """Create or change the stakeholder; None (errors on the form) when refused."""
        data = dict(self.cleaned_data)
        try:
            if self.stakeholder is None:
                return services.create_stakeholder(by=by, **data)
            return services.update_stakeholder(stakeholder=self.stakeholder, by=by, **data)
        except forms.ValidationError as error:
            _apply(self, error)
        except PermissionDenied as error:
            self.add_error(None, str(error))
        return None


class UseForm(forms.Form):
    """Record (or change) that a stakeholder relies on a product. On a stakeholder's page
    the product is typed (suggested from ``products``); on a product's page the
    stakeholder is chosen from ``stakeholders``."""

    product = forms.SlugField(
        label="Product", help_text="The product's slug; likely ones are suggested."
    )
    stakeholder = forms.ModelChoiceField(
        queryset=Stakeholder.objects.none(), to_field_name="slug", empty_label="—"
    )
    criticality = forms.ChoiceField(
        choices=ProductUse.Criticality.choices,
        initial=ProductUse.Criticality.IMPORTANT,
        help_text="Critical: an offramp of the product waits for the approver to acknowledge it.",
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How or what for it is used.",
    )
    contact = forms.CharField(
        required=False, max_length=300, help_text="Whom to tell at the stakeholder (an address)."
    )
    source = forms.CharField(required=False, max_length=300, help_text="Where the fact comes from.")

    def __init__(
        self,
        *args,
        product: Product | None = None,
        stakeholder: Stakeholder | None = None,
        stakeholders=(),
        products=(),
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.product, self.stakeholder = product, stakeholder
        if product is not None:
            del self.fields["product"]
        else:
            self.fields["product"].widget = DatalistInput(products)
        if stakeholder is not None:
            del self.fields["stakeholder"]
        else:
            self.fields["stakeholder"].queryset = stakeholders

    def clean_product(self) -> Product:
        product = Product.objects.filter(slug=self.cleaned_data["product"]).first()
        if product is None:
            raise forms.ValidationError("No product with this slug.")
        return product

    def ends(self) -> tuple[Product, Stakeholder]:
        """The (product, stakeholder) of a valid form."""
        return (
            self.product or self.cleaned_data["product"],
            self.stakeholder or self.cleaned_data["stakeholder"],
        )

    def save(self, *, by) -> tuple[ProductUse, bool] | None:
        product, stakeholder = self.ends()
        fields = {k: self.cleaned_data[k] for k in ("criticality", "note", "contact", "source")}
        try:
            return services.record_use(product=product, stakeholder=stakeholder, by=by, **fields)
        except forms.ValidationError as error:
            _apply(self, error)
        return None


def stakeholder_choices(user, product: Product):
    """The stakeholders ``user`` may record a use of ``product`` for: every one for hub
    admins and leads of a community of the product; else those they are a contact of."""
    stakeholders = Stakeholder.objects.order_by(Lower("name"), "slug")
    if product_access.can_record_use(user, product):
        return stakeholders
    return stakeholders.filter(contacts=user)


# --- Releases ----------------------------------------------------------------------

RELEASE_FIELDS = (
    "name",
    "kind",
    "community",
    "version",
    "tag",
    "date",
    "environment",
    "source",
    "note",
)


class ReleaseForm(forms.ModelForm):
    """A release's fields, with its catalog products as slugs. The kinds and communities
    offered are those the user may write: a lead sees their own communities' bundles only."""

    products = forms.CharField(
        required=False,
        label="Products it includes",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Catalog product slugs, separated by spaces, commas or new lines. Spack "
        "packages the source lists with no catalog product are kept.",
    )

    class Meta:
        model = Release
        fields = ("slug", *RELEASE_FIELDS)
        widgets = {
            "note": forms.Textarea(attrs={"rows": 2}),
            "date": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"environment": "The current E4S environment (not a tagged release)"}
        help_texts = {"community": "The spoke whose Spack bundle this is; none for E4S."}

    def __init__(self, *args, user, release: Release | None = None, **kwargs):
        self.user = user
        self.release = release
        if release is not None:
            # The form works on a copy: an invalid POST never changes the object the page
            # (and the service's comparison) reads.
            kwargs["instance"] = Release.objects.get(pk=release.pk)
            kwargs.setdefault(
                "initial",
                {"products": " ".join(sorted(p.slug for p in release.products.all()))},
            )
        super().__init__(*args, **kwargs)
        if release is not None:
            self.fields["slug"].disabled = True
        allowed = hub_access.bundle_communities(user)
        communities = Community.objects.order_by("name")
        if allowed is not None:  # a lead: bundles of their own communities only
            communities = communities.filter(pk__in=allowed)
            self.fields["kind"].choices = [(Release.Kind.BUNDLE, Release.Kind.BUNDLE.label)]
        self.fields["community"].queryset = communities
        self.fields["community"].empty_label = "None (an E4S release)"

    def clean_products(self) -> list[Product]:
        slugs = sorted(set(filter(None, re.split(r"[\s,]+", self.cleaned_data["products"]))))
        found = {p.slug: p for p in Product.objects.filter(slug__in=slugs)}
        unknown = [s for s in slugs if s not in found]
        if unknown:
            raise forms.ValidationError(f"No product with the slug: {', '.join(unknown)}.")
        return [found[s] for s in slugs]

    def _post_clean(self) -> None:
        """Django's, less the model's check constraint: the service names the field that a
        kind and a community that do not go together concern (``hub.services``)."""
        exclude = self._get_validation_exclusions()
        try:
            self.instance = construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
        except ValidationError as exc:
            self._update_errors(exc)
        try:
            self.instance.full_clean(
                exclude=exclude, validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            self._update_errors(exc)
        if self._validate_unique:
            self.validate_unique()

    def save(self, *, by) -> Release:  # type: ignore[override]
        data = {k: self.cleaned_data[k] for k in RELEASE_FIELDS}
        products = self.cleaned_data["products"]
        if self.release is None:
            return hub_services.create_release(
                by=by, slug=self.cleaned_data["slug"], products=products, **data
            )
        return hub_services.update_release(release=self.release, by=by, products=products, **data)
