"""Forms of the news pages: the list's filters, subscribing, and a subscriber's preferences."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from activecitizen.geo.models import District
from activecitizen.news import selectors
from activecitizen.news.models import NewsItem


def district_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Districts grouped by okrug, as a select's option groups."""
    lang = (get_language() or "ru").split("-")[0]
    groups: dict[str, list[tuple[int, str]]] = {}
    rows = District.objects.order_by("okrug__name_ru", "name_ru").values_list(
        "pk", "name_ru", "name_en", "okrug__name_ru", "okrug__name_en"
    )
    for pk, name_ru, name_en, okrug_ru, okrug_en in rows:
        okrug = (okrug_en if lang == "en" and okrug_en else okrug_ru) or ""
        groups.setdefault(okrug, []).append(
            (pk, (name_en if lang == "en" and name_en else name_ru))
        )
    return list(groups.items())


def tag_choices() -> list[tuple[str, str]]:
    return [(t.slug, t.name) for t in selectors.all_tags()]


class NewsFilterForm(forms.Form):
    """The list's filters from the query string; a bad value is a 400 naming the field, and the
    valid filters still apply."""

    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *NewsItem.Kind.choices]
    )
    tag = forms.ChoiceField(label=_("Topic"), required=False)
    district = forms.TypedChoiceField(
        label=_("District"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, with_kind: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not with_kind:
            del self.fields["kind"]
        cast(forms.ChoiceField, self.fields["tag"]).choices = [
            ("", _("All topics")),
            *tag_choices(),
        ]
        cast(forms.ChoiceField, self.fields["district"]).choices = [
            ("", _("Whole city")),
            *district_choices(),
        ]

    def value(self, name: str):
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return data.get(name) or None

    @property
    def is_filtered(self) -> bool:
        return any(self.value(n) for n in ("kind", "tag", "district"))


class PreferencesForm(forms.Form):
    """Topics and districts of a subscription; none chosen means all of them."""

    topics = forms.MultipleChoiceField(
        label=_("Topics"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: news on every topic."),
    )
    districts = forms.TypedMultipleChoiceField(
        label=_("Districts"),
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("None chosen: news of every district. City-wide news comes anyway."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["topics"]).choices = tag_choices()
        cast(forms.ChoiceField, self.fields["districts"]).choices = district_choices()


class SubscribeForm(PreferencesForm):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    field_order = ["email", "topics", "districts"]
