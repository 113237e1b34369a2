"""Forms of the Pulse pages: the rankings' filters and a resident's rating."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from activecitizen.pulse.models import COMMENT_MAX_LENGTH, SCORE_MAX, SCORE_MIN, Aspect, Category
from activecitizen.rewards.forms import DistrictField, QuickSelect, district_choices

SCORE_CHOICES = [(str(n), str(n)) for n in range(SCORE_MAX, SCORE_MIN - 1, -1)]
SORTS = [("index", _("by index")), ("name", _("by name"))]


class RankingFilterForm(forms.Form):
    """The rankings' filters from the query string; a bad value is a 400 naming the field, and
    the valid filters still apply."""

    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Category.choices],
        widget=QuickSelect,
    )
    district = DistrictField()
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS, widget=QuickSelect)

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
    """A score, optional scores of the category's aspects, an optional comment."""

    score = forms.TypedChoiceField(
        label=_("Your score"), choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Up to 1000 characters. A moderator reads it before others see it."),
    )

    def __init__(self, *args, aspects: list[Aspect], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.aspect_codes = []
        for aspect in aspects:
            name = f"aspect_{aspect.code}"
            self.aspect_codes.append((name, aspect.code))
            self.fields[name] = forms.TypedChoiceField(
                label=aspect.name,
                required=False,
                choices=[("", _("not rated")), *SCORE_CHOICES],
                coerce=int,
                empty_value=None,
            )
        # The comment last, after the aspects.
        self.order_fields(["score", *(n for n, _c in self.aspect_codes), "comment"])

    def aspect_scores(self) -> dict[str, int]:
        return {
            code: self.cleaned_data[name]
            for name, code in self.aspect_codes
            if self.cleaned_data.get(name) is not None
        }
