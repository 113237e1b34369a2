"""Forms of the sign-in and profile pages. They parse; the rules live in services.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from activecitizen.accounts.models import Interest, User
from activecitizen.geo.selectors import okrugs_with_districts


def district_choices() -> list:
    choices: list = [("", _("— not chosen —"))]
    for okrug in okrugs_with_districts():
        choices.append((okrug.name, [(d.pk, d.name) for d in okrug.districts.all()]))
    return choices


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "autocomplete": "tel",
                "inputmode": "tel",
                "placeholder": "+7 900 000-00-00",
                "autofocus": True,
            }
        ),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autofocus": True,
            }
        ),
    )


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        help_text=_("Optional: for newsletters and receipts."),
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        required=False,
        choices=[("", _("— not chosen —")), *User.Gender.choices],
    )
    home_district_id = forms.TypedChoiceField(
        label=_("Home district"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=district_choices,
        help_text=_("Polls about your district are shown to you."),
    )
    work_district_id = forms.TypedChoiceField(
        label=_("Work or study district"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=district_choices,
    )
    # Text, not number inputs: the service reads "55,75" as well as "55.75" and says what is
    # wrong in one place for the page and the app.
    home_lat = forms.CharField(
        label=_("Home latitude"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("For example 55.7512. Leave both empty to forget your home point."),
    )
    home_lon = forms.CharField(
        label=_("Home longitude"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Only for news of what appears within 1 km of your home. Nobody else sees it."),
    )
    interests = forms.MultipleChoiceField(
        label=_("About me"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Polls for parents, drivers, pensioners and others find you by these."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["interests"].choices = [(i.code, i.name) for i in Interest.objects.all()]

    @classmethod
    def initial_for(cls, user: User) -> dict:
        return {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "birth_date": user.birth_date,
            "gender": user.gender,
            "home_district_id": user.home_district_id,
            "work_district_id": user.work_district_id,
            "home_lat": "" if user.home_lat is None else str(user.home_lat),
            "home_lon": "" if user.home_lon is None else str(user.home_lon),
            "interests": [i.code for i in user.interests.all()],
        }
