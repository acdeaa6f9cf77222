"""Forms for the product pages: register/edit a product, its dependencies, its assessments,
waivers and confirmed interoperability.

Each form's ``save(by=...)`` does the whole write inside ``transaction.atomic`` and records
the matching Event, so a page never leaves half a change behind.
"""

from __future__ import annotations

from django import forms
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.html import format_html, format_html_join
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from events.errors import TransitionNotAllowed
from events.log import Verb, record
from events.validation import validate_web_url
from products import services, waivers
from products.interoperability import confirm_interoperability
from products.models import Assessment, Dependency, Membership, Product
from products.services import PRODUCT_FIELDS
from spokes.access import lead_community_ids
from spokes.models import Policy, PolicySet

UNKNOWN = "unknown"
URL_SCHEME = "https"  # what a bare "example.org" typed in a URL field becomes
STATUS_CHOICES = [(UNKNOWN, "Unknown (not assessed)"), *Assessment.Status.choices]
NEEDS_JUSTIFICATION = {Assessment.Status.PARTIAL, Assessment.Status.NA}


class DatalistInput(forms.TextInput):
    """A text box that suggests values from a ``<datalist>``: native HTML, no script, so
    any value may still be typed (the field validates it). For pickers over a set too large
    for a ``<select>`` (the catalog's products), suggesting the few the user is likely to
    want. ``options`` are (value, label) pairs."""

    def __init__(self, options=(), attrs=None) -> None:
        super().__init__(attrs={"autocomplete": "off", **(attrs or {})})
        self.options = list(options)

    def render(self, name, value, attrs=None, renderer=None):
        if not self.options:
            return super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id') or 'id_' + name}_options"
        html = super().render(name, value, {**(attrs or {}), "list": list_id}, renderer)
        options = format_html_join("", '<option value="{}">{}</option>', self.options)
        return html + format_html('<datalist id="{}">{}</datalist>', list_id, options)


def product_options(products) -> list[tuple[str, str]]:
    """(slug, name) of each product, for a ``DatalistInput``."""
    return [(p.slug, p.name) for p in products]


def neighbour_options(product: Product, user=None, limit: int = 500) -> list[tuple[str, str]]:
    """Products suggested beside ``product`` in a picker: the active members of its
    communities and of the communities ``user`` leads, by name (at most ``limit``)."""
    communities = Q(community__memberships__product=product)
    if user is not None:
        communities |= Q(community_id__in=lead_community_ids(user))
    members = Membership.objects.active().filter(communities).values("product_id")
    products = (
        Product.objects.filter(pk__in=members)
        .exclude(pk=product.pk)
        .order_by(Lower("name"), "slug")
        .only("slug", "name")[:limit]
    )
    return product_options(products)


def _formfield(field: models.Field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = URL_SCHEME
        # The form field checks first; the model's validators run only on a value it passed.
        kwargs["validators"] = [validate_web_url]
    return field.formfield(**kwargs)


class ProductForm(forms.ModelForm):
    areas_text = forms.CharField(
        label="Areas and keywords",
        required=False,
        help_text="Comma-separated, e.g. “Linear algebra, Solvers”.",
    )

    class Meta:
        model = Product
        fields = [
            "name",
            "slug",
            "summary",
            "description",
            "homepage",
            "repository_url",
            "documentation_url",
            "license",
            "spack_package",
            "contact_email",
            "distribution",
        ]
        labels = {
            "distribution": "Distribution through E4S",
            "repository_url": "Repository URL",
            "documentation_url": "Documentation URL",
            "license": "License (SPDX identifier)",
            "spack_package": "Spack package name",
        }
        widgets = {"summary": forms.TextInput(), "description": forms.Textarea(attrs={"rows": 5})}
        formfield_callback = _formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The slug is the product's stable identifier in URLs and the API.
            del self.fields["slug"]
            self.fields["areas_text"].initial = ", ".join(a.name for a in self.instance.areas.all())
        # Left out, it stays as it is (unknown for a new product).
        self.fields["distribution"].required = False

    def clean_distribution(self) -> str:
        return self.cleaned_data.get("distribution") or self.instance.distribution

    def clean_areas_text(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data["areas_text"].split(",")]
        return list(dict.fromkeys(n for n in names if n))

    def save(self, *, by) -> Product:  # type: ignore[override]
        """Register or update through products.services (permission, history, Event)."""
        data = self.cleaned_data
        fields = {k: data[k] for k in PRODUCT_FIELDS if k in data and k != "name"}
        if self.instance.pk is None:
            return services.create_product(
                by=by, slug=data["slug"], name=data["name"], areas=data["areas_text"], **fields
            )
        # The form has already copied its values onto self.instance; the service compares
        # against the stored row to record what changed.
        stored = Product.objects.get(pk=self.instance.pk)
        return services.update_product(
            product=stored, by=by, areas=data["areas_text"], name=data["name"], **fields
        )


DEPENDENCY_OPTIONS = "dependency-options"  # the page's one datalist, shared by every row


class DependencyRowForm(forms.Form):
    depends_on = forms.CharField(
        label="Product (slug)",
        required=False,
        max_length=100,
        help_text="e.g. hypre",
        widget=forms.TextInput(attrs={"list": DEPENDENCY_OPTIONS, "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(choices=Dependency.Kind.choices, initial=Dependency.Kind.REQUIRED)
    when = forms.CharField(label="When (Spack condition)", required=False, max_length=200)


class BaseDependencyFormSet(forms.BaseFormSet):
    """Manual dependencies of one product; rows left blank are ignored."""

    def __init__(self, *args, product: Product, **kwargs):
        self.product = product
        super().__init__(*args, **kwargs)

    def clean(self) -> None:
        if any(self.errors):
            return
        slugs = [f.cleaned_data.get("depends_on", "").strip() for f in self.forms]
        wanted = [s for s in slugs if s]
        found = {p.slug: p for p in Product.objects.filter(slug__in=wanted)}
        fixed = set(
            self.product.dependencies.exclude(source=Dependency.Source.MANUAL).values_list(
                "depends_on__slug", flat=True
            )
        )
        seen: set[str] = set()
        for form, slug in zip(self.forms, slugs, strict=True):
            if not slug:
                continue
            if slug not in found:
                form.add_error("depends_on", f"No product with the slug “{slug}”.")
            elif slug == self.product.slug:
                form.add_error("depends_on", "A product cannot depend on itself.")
            elif slug in seen:
                form.add_error("depends_on", "Listed twice.")
            elif slug in fixed:
                form.add_error("depends_on", "Already recorded from Spack or an import.")
            seen.add(slug)
        self.targets = found

    def save(self, *, by) -> list[Dependency]:
        """Make the product's manual dependencies the listed ones, in list order.

        An edge listed again keeps its row, changing only its kind and condition; each edge
        added, changed or removed leaves a history row by ``by``.
        """
        wanted: dict[str, tuple[str, str]] = {}
        for row in (f.cleaned_data for f in self.forms):
            slug = row.get("depends_on", "").strip()
            if slug:
                kind = row["kind"]
                wanted[slug] = (kind, row["when"] if kind == Dependency.Kind.OPTIONAL else "")
        with transaction.atomic():
            current = {
                d.depends_on.slug: d
                for d in self.product.dependencies.filter(
                    source=Dependency.Source.MANUAL
                ).select_related("depends_on")
            }
            changed = []
            for slug, (kind, when) in wanted.items():
                dependency = current.get(slug)
                if dependency is not None and (dependency.kind, dependency.when) != (kind, when):
                    dependency.kind, dependency.when = kind, when
                    changed.append(dependency)
            added = {
                slug: Dependency(
                    product=self.product,
                    depends_on=self.targets[slug],
                    kind=kind,
                    when=when,
                    source=Dependency.Source.MANUAL,
                )
                for slug, (kind, when) in wanted.items()
                if slug not in current
            }
            # One by one: a queryset delete would leave no history row.
            for slug, dependency in current.items():
                if slug not in wanted:
                    dependency._history_user = by
                    dependency.delete()
            if changed:
                bulk_update_with_history(changed, Dependency, ["kind", "when"], default_user=by)
            if added:
                bulk_create_with_history(list(added.values()), Dependency, default_user=by)
            before, after = set(current), set(wanted)
            # Same data shape as products.services.set_dependencies.
            record(
                Verb.DEPENDENCIES_CHANGED,
                actor=by,
                product=self.product,
                data={"added": sorted(after - before), "removed": sorted(before - after)},
            )
        return [current.get(slug) or added[slug] for slug in wanted]


DependencyFormSet = forms.formset_factory(
    DependencyRowForm, formset=BaseDependencyFormSet, extra=3, max_num=500
)


class AssessmentRowForm(forms.Form):
    policy = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=STATUS_CHOICES)
    justification = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 30})
    )
    evidence_url = forms.URLField(
        label="Evidence URL",
        required=False,
        max_length=500,
        assume_scheme=URL_SCHEME,
        validators=[validate_web_url],
    )

    def clean(self):
        data = super().clean()
        if data.get("status") in NEEDS_JUSTIFICATION and not data.get("justification", "").strip():
            self.add_error(
                "justification", "A justification is required for partial and not applicable."
            )
        return data


class BaseAssessmentFormSet(forms.BaseFormSet):
    """One row per effective policy of a set for one product."""

    def __init__(self, *args, product: Product, policy_set: PolicySet, policies, existing, **kw):
        self.product = product
        self.policy_set = policy_set
        self.policies: list[Policy] = list(policies)
        self.existing: dict[int, Assessment] = existing
        kw.setdefault(
            "initial",
            [
                {
                    "policy": p.pk,
                    "status": existing[p.pk].status if p.pk in existing else UNKNOWN,
                    "justification": existing[p.pk].justification if p.pk in existing else "",
                    "evidence_url": existing[p.pk].evidence_url if p.pk in existing else "",
                }
                for p in self.policies
            ],
        )
        super().__init__(*args, **kw)
        for form, policy in zip(self.forms, self.policies, strict=False):
            form.policy_obj = policy

    def total_form_count(self) -> int:
        return len(self.policies)

    def clean(self) -> None:
        if any(self.errors):
            return
        expected = [p.pk for p in self.policies]
        got = [f.cleaned_data.get("policy") for f in self.forms]
        if got != expected:
            raise forms.ValidationError(
                "The policy set changed while you were editing; reload the page."
            )

    def save(self, *, by) -> int:
        """Apply the changed rows; returns how many changed. One Event per changed row.

        Set rows go through products.services.upsert_assessment; a row set back to
        *unknown* deletes the assessment (its history keeps it) and is recorded the same way.
        """
        changed = 0
        with transaction.atomic():
            for form in self.forms:
                policy: Policy = form.policy_obj
                if not getattr(policy, "inherited", False):
                    policy.policy_set = self.policy_set  # spares the service a query
                data = form.cleaned_data
                status = data["status"]
                justification = data.get("justification", "").strip()
                evidence = data.get("evidence_url", "")
                current = self.existing.get(policy.pk)
                if status == UNKNOWN:
                    if current is None:
                        continue
                    current._history_user = by
                    current.delete()
                    record(
                        Verb.ASSESSMENT_CHANGED,
                        actor=by,
                        product=self.product,
                        data={
                            "policy_set": policy.policy_set.slug,
                            "policy": policy.code,
                            "version": policy.version,
                            "status": UNKNOWN,
                            "previous": current.status,
                        },
                    )
                elif current is not None and (
                    current.status,
                    current.justification,
                    current.evidence_url,
                ) == (status, justification, evidence):
                    continue
                else:
                    services.upsert_assessment(
                        product=self.product,
                        policy=policy,
                        by=by,
                        status=status,
                        justification=justification,
                        evidence_url=evidence,
                    )
                changed += 1
        return changed


AssessmentFormSet = forms.formset_factory(
    AssessmentRowForm, formset=BaseAssessmentFormSet, extra=0, max_num=1000
)


class BulkAssessmentForm(forms.Form):
    """Set the selected policies of one set to one status, with one justification and
    evidence address: the API's bulk upsert (``services.upsert_assessments``) from the
    assessments page. All or nothing; a selected policy already so is left unchanged."""

    policies = forms.MultipleChoiceField(
        label="Policies",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Select at least one policy in the table.",
            "invalid_choice": "%(value)s is not a policy of this set; reload the page.",
        },
    )
    status = forms.ChoiceField(label="New status", choices=[("", "—"), *Assessment.Status.choices])
    justification = forms.CharField(
        label="Justification for all",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Given to every selected policy; required for partial and not applicable.",
    )
    evidence_url = forms.URLField(
        label="Evidence URL",
        required=False,
        max_length=500,
        assume_scheme=URL_SCHEME,
        validators=[validate_web_url],
    )

    def __init__(self, *args, product: Product, policies: list[Policy], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        self.by_code = {p.code: p for p in policies}
        self.fields["policies"].choices = [(p.code, f"{p.code} {p.title}") for p in policies]

    def clean(self) -> dict:
        data = super().clean()
        if "status" in data and "evidence_url" in data:
            try:
                services.check_assessment_values(
                    status=data["status"],
                    justification=data.get("justification", ""),
                    evidence_url=data["evidence_url"],
                )
            except forms.ValidationError as error:
                _apply_errors(self, error)
        return data

    @property
    def selected(self) -> list[str]:
        """The codes ticked, as posted (to tick them again when the form is re-shown)."""
        return list(self["policies"].value() or []) if self.is_bound else []

    def save(self, *, by) -> dict[str, int] | None:
        """Upsert through ``services.upsert_assessments``; its counts, or None (errors on
        the form) when refused."""
        values = {k: self.cleaned_data[k] for k in ("status", "justification", "evidence_url")}
        items = [(self.by_code[code], dict(values)) for code in self.cleaned_data["policies"]]
        try:
            _, counts = services.upsert_assessments(product=self.product, items=items, by=by)
        except forms.ValidationError as error:
            _apply_errors(self, error)
            return None
        return counts


# --- Waivers and interoperability -----------------------------------------------------


def _apply_errors(form: forms.Form, error) -> None:
    """Show a service's ValidationError on the form, each message beside its field."""
    if hasattr(error, "message_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class WaiverForm(forms.Form):
    """Waive one of the product's policies the user may waive (``policies``) until a date."""

    policy = forms.TypedChoiceField(coerce=int, label="Policy")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Reason")
    expires_on = forms.DateField(
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day the waiver is in force; after today.",
    )

    def __init__(self, *args, product: Product, policies: list[Policy], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        self.policies = {p.pk: p for p in policies}
        self.fields["policy"].choices = [("", "—")] + [
            (p.pk, f"{p.policy_set.slug} {p.code}: {p.title}") for p in policies
        ]

    def save(self, *, by):
        """Grant through ``products.waivers``; None (errors on the form) when refused."""
        try:
            return waivers.grant_waiver(
                product=self.product,
                policy=self.policies[self.cleaned_data["policy"]],
                by=by,
                reason=self.cleaned_data["reason"],
                expires_on=self.cleaned_data["expires_on"],
            )
        except forms.ValidationError as error:
            _apply_errors(self, error)
        except TransitionNotAllowed as error:
            self.add_error("policy", str(error))
        return None


class InteroperabilityForm(forms.Form):
    partner = forms.SlugField(
        label="Partner product",
        help_text="The slug of the product it works with; the active members of its "
        "communities and of yours are suggested.",
    )
    evidence_url = forms.URLField(
        label="Evidence",
        max_length=500,
        assume_scheme=URL_SCHEME,
        validators=[validate_web_url],
        help_text="A test run, CI page or paper showing the two work together.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, product: Product, partners=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        self.fields["partner"].widget = DatalistInput(partners)

    def clean_partner(self) -> Product:
        slug = self.cleaned_data["partner"]
        partner = Product.objects.filter(slug=slug).first()
        if partner is None:
            raise forms.ValidationError(f"No product with the slug “{slug}”.")
        return partner

    def save(self, *, by):
        """Confirm through ``products.interoperability``; None (errors on the form) when
        refused."""
        try:
            row, _ = confirm_interoperability(
                product=self.product,
                partner=self.cleaned_data["partner"],
                by=by,
                evidence_url=self.cleaned_data["evidence_url"],
                note=self.cleaned_data["note"],
            )
        except forms.ValidationError as error:
            _apply_errors(self, error)
            return None
        return row


class CompatImportForm(forms.Form):
    """Upload an xSDK policy-compatibility file for one product (the imports API's
    ``xsdk_compat`` kind, from the product page)."""

    file = forms.FileField(
        label="xSDK compatibility file",
        help_text="The Markdown file the package publishes (<package>-policy-compatibility.md).",
    )
    evidence_url = forms.URLField(
        label="Where the file is published",
        required=False,
        max_length=500,
        assume_scheme=URL_SCHEME,
        validators=[validate_web_url],
        help_text="Optional: kept as each imported assessment's evidence.",
    )
    dry_run = forms.BooleanField(
        label="Only show what would change (write nothing)", required=False
    )
