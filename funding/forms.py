"""Forms of the funding pages: a panel member's review and a comment. They validate the
shape; ``funding.services`` applies the rules (the same as the API's)."""

from __future__ import annotations

from django import forms

from funding.models import SCORE_MAX, SCORE_MIN, Criterion


class ReviewForm(forms.Form):
    """One score field per criterion of the call (named ``score_<position>``), and a
    comment."""

    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, criteria: list[Criterion], initial_scores=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        initial_scores = initial_scores or {}
        for n, criterion in enumerate(criteria):
            self.fields[f"score_{n}"] = forms.TypedChoiceField(
                label=f"{criterion.name} (weight {criterion.weight})",
                choices=[("", "—")] + [(v, str(v)) for v in range(SCORE_MIN, SCORE_MAX + 1)],
                coerce=int,
                help_text=criterion.guide,
                initial=initial_scores.get(criterion.name),
            )
        # The comment last, after the scores.
        self.order_fields([f"score_{n}" for n in range(len(criteria))] + ["comment"])

    def scores(self) -> dict[str, int]:
        return {c.name: self.cleaned_data[f"score_{n}"] for n, c in enumerate(self.criteria)}


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 4}))
