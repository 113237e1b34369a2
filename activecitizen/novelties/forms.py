"""Forms of the novelties pages: the list's filters and the rating form."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from activecitizen.novelties.models import FEEDBACK_MAX, STARS, Novelty
from activecitizen.rewards.forms import DistrictField, QuickSelect, district_choices

SORT_TABS = [("new", _("Newest")), ("best", _("Best rated"))]


class NoveltyFilterForm(forms.Form):
    """The list's tab and filters, from the query string. An unknown value is a form error
    (the page answers 400 and names the field) rather than silently ignored."""

    sort = forms.ChoiceField(required=False, choices=SORT_TABS)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Novelty.Category.choices],
        widget=QuickSelect,
    )
    district = DistrictField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["district"]).choices = district_choices()

    def value(self, name: str):
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return data.get(name) or None

    @property
    def is_filtered(self) -> bool:
        return bool(self.value("category") or self.value("district"))


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(n, str(n)) for n in STARS],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose from 1 to 5 stars.")},
    )
    feedback = forms.CharField(
        label=_("What would you tell the city? (optional)"),
        help_text=_("Only the city's staff read it."),
        required=False,
        max_length=FEEDBACK_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": FEEDBACK_MAX}),
    )
    # A key per form shown: a double submission of one form is one rating, not an error.
    idempotency_key = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
