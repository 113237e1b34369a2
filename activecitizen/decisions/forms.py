"""The decisions pages' filters, read from the query string: a bad value is a 400 naming the
field, and the valid filters still apply."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from activecitizen.decisions.models import Category, Status
from activecitizen.decisions.selectors import YEAR_MAX, YEAR_MIN
from activecitizen.rewards.forms import DistrictField, QuickSelect, district_choices


class DecisionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Status.choices],
        widget=QuickSelect,
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Category.choices],
        widget=QuickSelect,
    )
    district = DistrictField()
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        help_text=_("Of the planned finish or of completion."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["district"]).choices = district_choices()

    def value(self, name: str):
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return data.get(name) or None

    def filters(self) -> dict:
        """The selector's keyword arguments from the fields that are valid."""
        return {
            "status": self.value("status"),
            "category": self.value("category"),
            "district_id": self.value("district"),
            "year": self.value("year"),
        }
