"""The dashboard's filters: a period (at most two years) and optionally a poll."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activecitizen.polls.models import Poll

LONGEST_PERIOD = timedelta(days=731)  # two years, a leap day included
DEFAULT_PERIOD = timedelta(weeks=26)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)
    poll = forms.ModelChoiceField(
        label=_("Poll"),
        queryset=Poll.objects.order_by("-opens_at", "-pk"),
        required=False,
        empty_label=_("all polls"),
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        today = timezone.localdate()
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or date_to - DEFAULT_PERIOD + timedelta(days=1)
        if date_to < date_from:
            self.add_error("date_to", _("The end of the period cannot be before its start."))
        elif date_to - date_from >= LONGEST_PERIOD:
            self.add_error("date_from", _("A period may last at most two years."))
        data["date_from"], data["date_to"] = date_from, date_to
        return data
