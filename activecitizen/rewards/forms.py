"""Forms of the shop's pages: the catalogue's filters, the map's district, the desk's code."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

from django import forms
from django.core.cache import cache
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from activecitizen.geo.models import District
from activecitizen.rewards.models import Reward
from activecitizen.rewards.selectors import SEARCH_MAX_LENGTH, CatalogueFilters

# Well above any real price; a bigger number is a typo or a probe and is refused as such.
MAX_PRICE_LIMIT = 10_000_000
DISTRICTS_CACHE_SECONDS = 300

SORTS = [
    ("new", _("newest first")),
    ("price", _("cheapest first")),
    ("-price", _("most expensive first")),
]


class QuickSelect(forms.Select):
    """A select written out in Python. Django's widget templates render each option through the
    template engine: for the city's ~150 districts that was a third of the catalogue's time."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer=None) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(self._options(self.choices, chosen))
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308 - escaped

    def _options(self, choices: Iterable, chosen: set[str]) -> Iterator[str]:
        for value, label in choices:
            if isinstance(label, (list, tuple)):
                inner = "".join(self._options(label, chosen))
                yield f'<optgroup label="{escape(value)}">{inner}</optgroup>'
            else:
                selected = " selected" if str(value) in chosen else ""
                yield f'<option value="{escape(value)}"{selected}>{escape(label)}</option>'


def district_choices() -> list[tuple[str, object]]:
    """Districts grouped by okrug, as a select's option groups; "" is "any district".

    The catalogue shows this on every request and districts hardly ever change: the groups are
    cached per language for a few minutes (`load_city` is followed by a restart anyway).
    """
    lang = (get_language() or "ru").split("-")[0]
    groups = cache.get_or_set(
        f"rewards:district-choices:{lang}", lambda: _district_groups(lang), DISTRICTS_CACHE_SECONDS
    )
    return [("", _("Any district")), *(groups or [])]


def _district_groups(lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    # One query for plain values: ~150 model instances cost more than the rest of the page.
    groups: dict[str, list[tuple[str, str]]] = {}
    rows = District.objects.order_by("okrug__name_ru", "name_ru").values_list(
        "pk", "name_ru", "name_en", "okrug__name_ru", "okrug__name_en"
    )
    for pk, name_ru, name_en, okrug_ru, okrug_en in rows:
        okrug = (okrug_en if lang == "en" else "") or okrug_ru
        name = (name_en if lang == "en" else "") or name_ru
        groups.setdefault(okrug, []).append((str(pk), name))
    # In the reader's language's alphabet: the query sorted by the Russian names.
    return [(okrug, sorted(groups[okrug], key=_second)) for okrug in sorted(groups)]


def _second(pair: tuple[str, str]) -> str:
    return pair[1]


class DistrictField(forms.TypedChoiceField):
    """A district by id: anything else (letters, an unknown id) is a clear form error."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            widget=QuickSelect,
            coerce=int,
            empty_value=None,
            required=False,
            label=_("District"),
            **kwargs,
        )


class CatalogueFilterForm(forms.Form):
    """The catalogue's filters, read from the query string.

    An invalid value (a district that is not a number, an unknown category) is not silently
    dropped: the page answers 400 and names the field, and applies the filters that are valid.
    """

    q = forms.CharField(label=_("Search"), required=False, max_length=SEARCH_MAX_LENGTH, strip=True)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Reward.Category.choices],
        widget=QuickSelect,
    )
    district = DistrictField()
    max_price = forms.IntegerField(
        label=_("Price up to"), required=False, min_value=1, max_value=MAX_PRICE_LIMIT
    )
    affordable = forms.BooleanField(label=_("I can afford it"), required=False)
    available = forms.BooleanField(label=_("Available only"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS, widget=QuickSelect)

    def __init__(self, *args, signed_in: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read once here: a callable would query again each time the choices are iterated.
        cast(forms.ChoiceField, self.fields["district"]).choices = district_choices()
        if not signed_in:
            # "What I can afford" means nothing before signing in: the field is not offered.
            del self.fields["affordable"]

    def filters(self, user_id: int | None) -> CatalogueFilters:
        """The valid part of the filters (all of them when the form is valid)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return CatalogueFilters(
            category=data.get("category") or None,
            district_id=data.get("district"),
            max_price=data.get("max_price"),
            affordable_for=user_id if data.get("affordable") and user_id else None,
            search=data.get("q") or "",
            available_only=bool(data.get("available")),
            order_by=data.get("sort") or "new",
        )

    @property
    def is_filtered(self) -> bool:
        """Whether anything narrows the shelf (for the empty state's wording)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return any(data.get(name) for name in ("q", "category", "district", "max_price")) or bool(
            data.get("affordable") or data.get("available")
        )


class MapFilterForm(forms.Form):
    district = DistrictField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["district"]).choices = district_choices()


class VoucherLookupForm(forms.Form):
    # Generous: people type dashes and spaces; the service normalises and checks the code.
    code = forms.CharField(label=_("Voucher code"), max_length=40, strip=True)
