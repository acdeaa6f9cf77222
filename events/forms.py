"""The filter form of the events page."""

from __future__ import annotations

from django import forms


class EventFilterForm(forms.Form):
    verb = forms.ChoiceField(required=False, label="What happened")
    community = forms.ChoiceField(required=False, label="Community")
    product = forms.CharField(required=False, label="Product (slug)", max_length=100)

    def __init__(self, *args, verbs, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["verb"].choices = [("", "Anything")] + [
            (v, v.replace("_", " ").capitalize()) for v in verbs
        ]
        self.fields["community"].choices = [("", "Any community")] + [
            (c.slug, c.name) for c in communities
        ]
