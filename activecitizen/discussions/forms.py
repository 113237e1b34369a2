"""The proposal form of a project's page; the rules themselves are in `services`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from activecitizen.discussions.models import ParticipantType, Stance
from activecitizen.discussions.services import REFERENCE_MAX_LENGTH, TEXT_MAX_LENGTH


class ProposalForm(forms.Form):
    participant_type = forms.ChoiceField(
        label=_("I take part as"), choices=ParticipantType.choices, widget=forms.RadioSelect
    )
    document_reference = forms.CharField(
        label=_("Document reference"),
        required=False,
        max_length=REFERENCE_MAX_LENGTH,
        help_text=_(
            "For holders of rights and deputies: the number and date of the extract from the "
            "register or of the mandate. Moderators verify it."
        ),
    )
    stance = forms.ChoiceField(
        label=_("My position"), choices=Stance.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Proposal or remark"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": TEXT_MAX_LENGTH}),
    )
    attachment = forms.FileField(
        label=_("Attachment (PDF or image, up to 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )
