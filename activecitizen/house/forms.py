"""The Electronic House's forms: an owner's ballot in a meeting, and a claim to premises."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from activecitizen.house import counting
from activecitizen.house.models import AgendaItem, Building

CHOICE_LABELS = (
    (counting.FOR, _("For")),
    (counting.AGAINST, _("Against")),
    (counting.ABSTAIN, _("Abstain")),
)


def item_field_name(item: AgendaItem) -> str:
    return f"item_{item.number}"


class MeetingBallotForm(forms.Form):
    """For, against or abstain on every item of the agenda (all required, as the law wants a
    decision on each question of a ballot)."""

    ballot_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def __init__(self, *args, items: Iterable[AgendaItem], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[item_field_name(item)] = forms.ChoiceField(
                label=f"{item.number}. {item.title}",
                choices=CHOICE_LABELS,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose for, against or abstain.")},
            )

    def item_fields(self) -> list[tuple[AgendaItem, forms.BoundField]]:
        return [(item, self[item_field_name(item)]) for item in self.items]

    def decisions(self) -> dict[int, str]:
        """The chosen decisions by item number, as `services.cast_meeting_vote` takes them."""
        return {item.number: self.cleaned_data[item_field_name(item)] for item in self.items}


class BuildingSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Address of the building"),
        max_length=200,
        min_length=3,
        help_text=_('A part of the address, e.g. "Тверская, д. 7".'),
    )


class PremisesClaimForm(forms.Form):
    """Which premises the person says they own, and by what title: the administrator checks."""

    building = forms.ModelChoiceField(
        label=_("Building"),
        queryset=Building.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"invalid_choice": _("Choose the building from the list.")},
    )
    premises_number = forms.CharField(
        label=_("Premises number"),
        max_length=20,
        help_text=_('As in the title document, e.g. "12" or "Н-1".'),
    )
    title_document = forms.CharField(
        label=_("Title document"),
        max_length=300,
        help_text=_("e.g. the number of the extract from the state register (ЕГРН)."),
    )
    share = forms.CharField(
        label=_("Your share"),
        max_length=30,
        initial="1",
        help_text=_("1 if you own the whole premises, or 1/2, 1/3 …"),
    )

    def __init__(self, *args, buildings: QuerySet[Building], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings
