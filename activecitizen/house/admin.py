"""Electronic House in the admin: buildings and their register, decision rules, owners' meetings.

A house administrator sees only the buildings they administer, and only those buildings'
entrances, premises, ownerships, residents and claims; a row of another building is a 404, as
if it did not exist. Superusers see everything. Ownerships are written only by the register's
services — the CSV import and confirmed claims — which keep every premises' shares within 1;
here they are looked at (and removed when a title ends).

Meetings follow the same rule: `services.create_meeting` creates one (a page of its own, so a
refusal is a form error and nothing is written), and the buttons on a meeting's page call
`publish_notice`, `publish_protocol`, `cancel_meeting` and `enter_paper_ballot`, showing the
service's message when it refuses. Ballots are only looked at.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet, Sum
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from activecitizen.core.errors import DomainError
from activecitizen.core.uploads import read_uploaded_text
from activecitizen.house import community, counting, register, selectors, services, surveys
from activecitizen.house.models import (
    AgendaItem,
    Announcement,
    BallotLine,
    Building,
    DecisionRule,
    Entrance,
    Meeting,
    MeetingBallot,
    MeetingDemand,
    Ownership,
    Premises,
    PremisesClaim,
    RegisterEntry,
    Resident,
)
from activecitizen.polls.editing import QuestionDraft

REJECTED_SHOWN = 500
REGISTER_FILE_MAX_BYTES = 5 * 1024 * 1024


# --- Who sees what ------------------------------------------------------------------------------


def _buildings(request: HttpRequest) -> QuerySet[Building]:
    if not hasattr(request, "_house_buildings"):
        request._house_buildings = selectors.buildings_administered_by(request.user)  # type: ignore[attr-defined]
    return request._house_buildings  # type: ignore[attr-defined]


class BuildingScopedAdmin(admin.ModelAdmin):
    """Rows limited to the buildings the staff member administers, and so are the choices of
    building, entrance and premises in its forms."""

    building_lookup = "building"  # the path from a row to its building

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(**{f"{self.building_lookup}__in": _buildings(request)})

    def get_object(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        if found is None:
            raise Http404(gettext("There is no such row, or it belongs to another building."))
        return found

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        limited = scoped_choices(db_field.related_model, request)
        if limited is not None:
            kwargs["queryset"] = limited
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def scoped_choices(model, request: HttpRequest) -> QuerySet | None:
    """Choices of a building-bound model within the staff member's buildings."""
    buildings = _buildings(request)
    if model is Building:
        return buildings
    if model is Entrance:
        return Entrance.objects.filter(building__in=buildings).select_related("building")
    if model is Premises:
        return Premises.objects.filter(building__in=buildings).select_related("building")
    return None


class ScopedInlineMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        limited = scoped_choices(db_field.related_model, request)
        if limited is not None:
            kwargs["queryset"] = limited
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


# --- Buildings ----------------------------------------------------------------------------------


class EntranceInline(admin.TabularInline):
    model = Entrance
    extra = 0


class RegisterImportForm(forms.Form):
    text = forms.CharField(
        label=_("The register as CSV"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 100}),
        help_text=_(
            "First line: the columns premises; entrance; kind; area; owner; phone; share; "
            "title_document (separated by ; or ,). Entrance, phone, share and title_document may "
            "be left out. Kind: residential or non_residential (жилое, нежилое). Area in m², "
            "e.g. 54,3. Share: 1, 1/2, 1/3."
        ),
    )
    file = forms.FileField(label=_("or a CSV file"), required=False)

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            # UTF-8, else Windows-1251: what Excel on a Russian Windows saves a CSV in.
            data["text"] = read_uploaded_text(upload, max_bytes=REGISTER_FILE_MAX_BYTES)
        if not (data.get("text") or "").strip():
            raise forms.ValidationError(gettext("Paste the register or choose a file."))
        return data


@admin.register(Building)
class BuildingAdmin(BuildingScopedAdmin):
    building_lookup = "pk"
    list_display = ["address", "district", "premises_count", "total_area"]
    list_select_related = ["district"]
    search_fields = ["address", "cadastral_number"]
    list_filter = [("district", admin.RelatedOnlyFieldListFilter)]
    filter_horizontal = ["administrators"]
    inlines = [EntranceInline]
    fields = [
        "address",
        "district",
        "lat",
        "lon",
        "cadastral_number",
        "documents_kept_at",
        "administrators",
        "register",
    ]
    readonly_fields = ["register"]

    def get_queryset(self, request):
        # Total area here is for reading a list; the exact figure a meeting uses comes from
        # `selectors.building_total_area`.
        return (
            super()
            .get_queryset(request)
            .annotate(premises_count=Count("premises"), total_area=Sum("premises__area"))
        )

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.readonly_fields
        # Who administers a building is the city's decision, not the administrator's.
        return [*self.readonly_fields, "administrators", "district"]

    @admin.display(description=_("premises"), ordering="premises_count")
    def premises_count(self, building: Building) -> int:
        return building.premises_count  # type: ignore[attr-defined]

    @admin.display(description=_("total area, m²"), ordering="total_area")
    def total_area(self, building: Building) -> str:
        # SQLite's SUM comes back as a float-like number: shown to the centimetre it is exact.
        total = Decimal(str(building.total_area or 0))  # type: ignore[attr-defined]
        return str(total.quantize(Decimal("0.01")))

    @admin.display(description=_("register"))
    def register(self, building: Building) -> str:
        if building.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a> · {}',
            reverse("admin:house_premises_changelist") + f"?building__id__exact={building.pk}",
            gettext("premises"),
            reverse("admin:house_building_import", args=[building.pk]),
            gettext("import the register from CSV"),
            reverse("admin:house_building_survey", args=[building.pk]),
            gettext("surveys of the residents"),
            gettext("total area %(area)s m²") % {"area": selectors.building_total_area(building)},
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        survey = self.admin_site.admin_view(self.survey_view)
        return [
            path("<int:building_id>/import/", view, name="house_building_import"),
            path("<int:building_id>/survey/", survey, name="house_building_survey"),
            *super().get_urls(),
        ]

    def survey_view(self, request: HttpRequest, building_id: int) -> HttpResponse:
        """Ask the building's owners and residents a question (a survey, not a meeting), and
        see the surveys asked before with their results."""
        building = self.get_object(request, str(building_id))
        if not selectors.may_administer(request.user, building):
            raise PermissionDenied
        form = SurveyForm(request.POST or None)
        status = 200
        if request.method == "POST":
            status = 422
            if form.is_valid():
                data = form.cleaned_data
                try:
                    survey = surveys.create_building_survey(
                        building=building,
                        by=request.user,
                        title=data["title"],
                        description=data["description"],
                        questions=[QuestionDraft(text=data["question"], options=data["options"])],
                        closes_at=timezone.now() + timedelta(days=data["days"]),
                    )
                except DomainError as error:
                    form.add_error(None, _error_text(error))
                    status = error.status
                else:
                    messages.success(
                        request,
                        gettext("The survey «%(title)s» is open: the residents are told.")
                        % {"title": survey.title},
                    )
                    return redirect(reverse("admin:house_building_survey", args=[building.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": building,
            "title": gettext("Surveys: %(building)s") % {"building": building},
            "form": form,
            "surveys": surveys.surveys_of(building)[:50],
        }
        return TemplateResponse(request, "admin/house/building/survey.html", context, status=status)

    def import_view(self, request: HttpRequest, building_id: int) -> HttpResponse:
        """Paste or upload a CSV of premises and owners; a report of every row follows."""
        building = self.get_object(request, str(building_id))
        if not selectors.may_administer(request.user, building):
            raise PermissionDenied
        form = RegisterImportForm(request.POST or None, request.FILES or None)
        report: register.RegisterImport | None = None
        status = 200
        if request.method == "POST":
            status = 422
            if form.is_valid():
                try:
                    report = register.import_register(
                        building=building, csv_text=form.cleaned_data["text"], by=request.user
                    )
                except DomainError as error:
                    form.add_error(None, str(error.message))
                    status = error.status
                else:
                    status = 200
                    form = RegisterImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": building,
            "title": gettext("Import the register: %(building)s") % {"building": building},
            "form": form,
            "report": report,
            "rejected_shown": report.rejected[:REJECTED_SHOWN] if report else [],
            "rejected_more": max(0, len(report.rejected) - REJECTED_SHOWN) if report else 0,
            "total_area": selectors.building_total_area(building),
        }
        return TemplateResponse(
            request, "admin/house/building/import_register.html", context, status=status
        )


# --- Premises and their owners ------------------------------------------------------------------


class OwnershipInline(admin.TabularInline):
    """Read here; the import and confirmed claims add ownerships (they keep shares within 1)."""

    model = Ownership
    extra = 0
    fields = ["owner_name", "owner_code", "owner", "share_display", "title_document", "created_at"]
    readonly_fields = fields
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("share"))
    def share_display(self, ownership: Ownership) -> str:
        return str(ownership.share)


@admin.register(Premises)
class PremisesAdmin(BuildingScopedAdmin):
    list_display = ["number", "building", "entrance", "kind", "area", "owned"]
    list_filter = ["kind", ("building", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["building", "entrance"]
    search_fields = ["number", "building__address", "ownerships__owner_name", "cadastral_number"]
    inlines = [OwnershipInline]

    @admin.display(description=_("share in the register"))
    def owned(self, premises: Premises) -> str:
        return str(selectors.share_owned(premises))


@admin.register(Ownership)
class OwnershipAdmin(BuildingScopedAdmin):
    building_lookup = "premises__building"
    list_display = ["owner_name", "owner_code", "premises", "share_display", "owner"]
    list_select_related = ["premises__building", "owner"]
    search_fields = ["owner_name", "owner_code", "premises__number", "premises__building__address"]
    fields = [
        "premises",
        "owner_name",
        "owner_code",
        "owner",
        "share_display",
        "title_document",
        "created_at",
    ]
    # Only the code that tells namesakes apart is edited here (through the register's
    # service); shares and owners change by the import and by confirmed claims.
    readonly_fields = [f for f in fields if f != "owner_code"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change) -> None:
        try:
            register.set_owner_code(ownership=obj, code=form.cleaned_data["owner_code"])
        except DomainError as error:
            # The field's own max length has been checked by the form; the service's refusal
            # (a control character, say) is shown rather than raised.
            self.message_user(request, str(error.message), level=messages.ERROR)

    @admin.display(description=_("share"))
    def share_display(self, ownership: Ownership) -> str:
        return str(ownership.share)


class ResidentForm(forms.ModelForm):
    class Meta:
        model = Resident
        fields = ["building", "user", "premises"]

    def clean(self) -> dict:
        data = super().clean()
        building, premises = data.get("building"), data.get("premises")
        if building and premises and premises.building_id != building.pk:
            self.add_error("premises", gettext("These premises are in another building."))
        return data


@admin.register(Resident)
class ResidentAdmin(BuildingScopedAdmin):
    form = ResidentForm
    list_display = ["user", "building", "premises", "created_at"]
    list_select_related = ["user", "building", "premises"]
    search_fields = ["user__phone", "user__last_name", "building__address"]
    raw_id_fields = ["user"]
    fields = ["building", "user", "premises"]

    def has_change_permission(self, request, obj=None):
        # A resident is added or removed; moving one is removing and adding.
        return False

    def save_model(self, request, obj, form, change) -> None:
        resident = register.add_resident(
            building=obj.building, user=obj.user, premises=obj.premises, by=request.user
        )
        obj.pk = resident.pk

    def delete_model(self, request, obj) -> None:
        register.remove_resident(building=obj.building, user=obj.user, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for resident in queryset.select_related("building", "user"):
            self.delete_model(request, resident)


# --- Claims -------------------------------------------------------------------------------------


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    question = forms.CharField(label=_("question"), max_length=500)
    options = forms.CharField(
        label=_("answers"),
        help_text=_("One answer per line, at least two."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    days = forms.IntegerField(
        label=_("open for, days"), min_value=1, max_value=surveys.SURVEY_DAYS_MAX, initial=7
    )

    def clean_options(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["options"].splitlines()]
        lines = [line for line in lines if line]
        if len(lines) < 2:
            raise forms.ValidationError(_("Give at least two answers, one per line."))
        if len(lines) > 20 or any(len(line) > 300 for line in lines):
            raise forms.ValidationError(_("At most 20 answers of 300 characters each."))
        return lines


class RejectClaimsForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=register.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("The people whose claims are rejected see it."),
    )


@admin.register(PremisesClaim)
class PremisesClaimAdmin(BuildingScopedAdmin):
    building_lookup = "premises__building"
    list_display = ["created_at", "user", "premises", "share_display", "status", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["user", "premises__building", "decided_by"]
    search_fields = ["user__phone", "user__last_name", "premises__building__address"]
    fields = [
        "user",
        "premises",
        "share_display",
        "title_document",
        "status",
        "reason",
        "created_at",
        "decided_by",
        "decided_at",
    ]
    readonly_fields = fields
    actions = ["confirm_claims", "reject_claims"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm("house.change_premisesclaim")

    @admin.display(description=_("share"))
    def share_display(self, claim: PremisesClaim) -> str:
        return str(claim.share)

    @admin.action(description=_("Confirm the selected claims"), permissions=["decide"])
    def confirm_claims(self, request: HttpRequest, queryset: QuerySet[PremisesClaim]) -> None:
        confirmed = 0
        for claim in queryset.select_related("premises"):
            try:
                register.confirm_claim(claim=claim, by=request.user)
            except DomainError as error:
                self.message_user(request, f"{claim}: {error.message}", messages.ERROR)
            else:
                confirmed += 1
        if confirmed:
            self.message_user(
                request,
                ngettext("%(n)d claim confirmed.", "%(n)d claims confirmed.", confirmed)
                % {"n": confirmed},
                messages.SUCCESS,
            )

    @admin.action(description=_("Reject the selected claims…"), permissions=["decide"])
    def reject_claims(
        self, request: HttpRequest, queryset: QuerySet[PremisesClaim]
    ) -> HttpResponse | None:
        """Asks for the reason on a page of its own, then rejects each claim with it."""
        form = RejectClaimsForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            rejected = 0
            for claim in queryset:
                try:
                    register.reject_claim(
                        claim=claim, by=request.user, reason=form.cleaned_data["reason"]
                    )
                except DomainError as error:
                    self.message_user(request, f"{claim}: {error.message}", messages.ERROR)
                else:
                    rejected += 1
            if rejected:
                self.message_user(
                    request,
                    ngettext("%(n)d claim rejected.", "%(n)d claims rejected.", rejected)
                    % {"n": rejected},
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Reject claims"),
            "form": form,
            "claims": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/house/premisesclaim/reject.html", context)


# --- Decision rules -----------------------------------------------------------------------------


@admin.register(DecisionRule)
class DecisionRuleAdmin(admin.ModelAdmin):
    """The table of which decision type each agenda subject needs, with dates. A meeting fixes
    its items' types from it when its notice is published, so a change here never moves a
    meeting already announced. Changed by superusers (and staff given the permission);
    house administrators look it up."""

    list_display = ["subject", "title", "decision_type", "effective_from", "effective_until"]
    list_filter = ["decision_type", "subject"]
    search_fields = ["subject", "title"]
    fields = ["subject", "title", "decision_type", "effective_from", "effective_until"]
    ordering = ["subject", "-effective_from"]


# --- Meetings -----------------------------------------------------------------------------------


def _subject_choices() -> list[tuple[str, str]]:
    """The subjects the rules table knows, each with the title of its latest rule."""
    titles: dict[str, str] = {}
    for subject, title in DecisionRule.objects.order_by("subject", "effective_from").values_list(
        "subject", "title"
    ):
        titles[subject] = title
    return [(s, f"{s} — {t}") for s, t in titles.items()]


def _error_text(error: DomainError) -> str:
    return str(error.message)


AGENDA_FROZEN_NOTICE = _(
    "The notice is published: the agenda, the dates and the form of the meeting can no longer "
    "change. To change them, cancel the meeting and call a new one."
)


class MeetingCreateForm(forms.Form):
    """The draft's particulars; `services.create_meeting` checks them and writes the meeting."""

    building = forms.ModelChoiceField(label=_("building"), queryset=Building.objects.none())
    title = forms.CharField(label=_("title"), max_length=services.TITLE_MAX)
    form = forms.ChoiceField(
        label=_("form"), choices=Meeting.Form.choices, initial=Meeting.Form.ELECTRONIC
    )
    initiator_name = forms.CharField(
        label=_("initiator"),
        max_length=300,
        required=False,
        help_text=_("As the protocol names them; your own name when left empty."),
    )
    place = forms.CharField(
        label=_("place"),
        max_length=300,
        required=False,
        help_text=_("Where paper ballots are handed in (a mixed meeting)."),
    )
    voting_starts_at = forms.SplitDateTimeField(
        label=_("voting starts"), widget=admin.widgets.AdminSplitDateTime
    )
    voting_ends_at = forms.SplitDateTimeField(
        label=_("voting ends"), widget=admin.widgets.AdminSplitDateTime
    )

    def __init__(self, *args, buildings: QuerySet[Building], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings
        if len(buildings) == 1:
            self.fields["building"].initial = buildings[0].pk


class AgendaItemForm(forms.Form):
    title = forms.CharField(
        label=_("question"),
        max_length=services.ITEM_TITLE_MAX,
        required=False,
        widget=forms.TextInput(attrs={"size": 50}),
    )
    proposal = forms.CharField(
        label=_("proposed decision"),
        max_length=services.PROPOSAL_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 50}),
    )
    subject = forms.ChoiceField(label=_("subject"), initial="other")
    entrance = forms.IntegerField(label=_("entrance"), required=False, min_value=1)

    def __init__(self, *args, subjects: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = subjects


AgendaItemFormSet = forms.formset_factory(AgendaItemForm, extra=5, max_num=services.ITEMS_MAX)


class AgendaItemInlineForm(forms.ModelForm):
    subject = forms.ChoiceField(label=_("subject"))

    class Meta:
        model = AgendaItem
        fields = ["title", "proposal", "subject", "entrance"]
        widgets = {"proposal": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = _subject_choices()


class AgendaFormSet(forms.BaseInlineFormSet):
    """A draft's agenda; refused as a whole once the meeting has left the draft."""

    def clean(self) -> None:
        super().clean()
        if self.instance.pk is None:
            return
        touched = any(form.has_changed() for form in self.forms) or bool(self.deleted_forms)
        fresh = Meeting.objects.filter(pk=self.instance.pk).values_list("status", flat=True).first()
        if touched and fresh != Meeting.Status.DRAFT:
            raise forms.ValidationError(str(AGENDA_FROZEN_NOTICE))


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    form = AgendaItemInlineForm
    formset = AgendaFormSet
    extra = 0
    min_num = 1
    validate_min = True
    max_num = services.ITEMS_MAX
    fields = ["number", "title", "proposal", "subject", "entrance", "decision_type"]
    readonly_fields = ["number", "decision_type"]
    ordering = ["number"]

    def _draft(self, obj) -> bool:
        return obj is None or obj.status == Meeting.Status.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._draft(obj) and super().has_delete_permission(request, obj)


class MeetingChangeForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["title", "form", "initiator_name", "place", "voting_starts_at", "voting_ends_at"]

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.pk is not None:
            fresh = Meeting.objects.filter(pk=self.instance.pk).values_list("status", flat=True)
            if fresh.first() != Meeting.Status.DRAFT:
                raise forms.ValidationError(str(AGENDA_FROZEN_NOTICE))
        starts, ends = data.get("voting_starts_at"), data.get("voting_ends_at")
        if starts and ends:
            try:
                services.check_voting_period(starts, ends)
            except DomainError as error:
                field = error.field if error.field in self.fields else None
                self.add_error(field, _error_text(error))
        if not (data.get("title") or "").strip():
            self.add_error("title", gettext("Give the meeting a title."))
        return data


class PaperBallotForm(forms.Form):
    """One owner's paper ballot: whose it is (all their lines in the frozen register), a choice
    on every item, and the reference of its scan."""

    owner = forms.ChoiceField(label=_("owner"))
    scan_reference = forms.CharField(
        label=_("scan of the paper ballot"),
        max_length=300,
        help_text=_("Where the scan is kept, e.g. the document number or the file's name."),
    )

    def __init__(self, *args, meeting: Meeting, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.owners = _owners_of(meeting)
        self.fields["owner"].choices = [("", "—")] + [
            (key, owner["label"]) for key, owner in self.owners.items() if not owner["voted"]
        ]
        self.items = list(meeting.items.order_by("number"))
        for item in self.items:
            self.fields[f"item_{item.number}"] = forms.ChoiceField(
                label=str(item),
                choices=[
                    (counting.FOR, _("for")),
                    (counting.AGAINST, _("against")),
                    (counting.ABSTAIN, _("abstain")),
                ],
                widget=forms.RadioSelect,
            )

    def item_fields(self):
        return [self[f"item_{item.number}"] for item in self.items]

    def decisions(self) -> dict[int, str]:
        return {item.number: self.cleaned_data[f"item_{item.number}"] for item in self.items}

    def entry_ids(self) -> list[int]:
        return self.owners[self.cleaned_data["owner"]]["entry_ids"]


def _owners_of(meeting: Meeting) -> dict[str, dict]:
    """The frozen register grouped by owner: what a paper ballot is entered for."""
    voted = set(
        BallotLine.objects.filter(entry__meeting=meeting).values_list("entry_id", flat=True)
    )
    owners: dict[str, dict] = {}
    for entry in RegisterEntry.objects.filter(meeting=meeting).order_by("owner_name", "id"):
        key = selectors.owner_key(entry.owner_id, entry.owner_name, entry.owner_code)
        # Namesakes told apart by their code show it, so the clerk picks the right one.
        name = f"{entry.owner_name} [{entry.owner_code}]" if entry.owner_code else entry.owner_name
        owner = owners.setdefault(key, {"name": name, "lines": [], "entry_ids": [], "voted": False})
        owner["entry_ids"].append(entry.pk)
        share = "" if entry.share == 1 else f" ({entry.share})"
        owner["lines"].append(f"{entry.premises_number}{share}")
        owner["voted"] = owner["voted"] or entry.pk in voted
    for owner in owners.values():
        owner["label"] = gettext("%(name)s — premises %(lines)s") % {
            "name": owner["name"],
            "lines": ", ".join(owner["lines"]),
        }
    return owners


class CancelMeetingForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("The owners are told it when the notice has been published."),
    )


# name → (the service, the status it starts from, the button's label, what it says when done)
MEETING_TRANSITIONS: dict[str, tuple] = {
    "publish_notice": (
        services.publish_notice,
        Meeting.Status.DRAFT,
        _("Publish the notice"),
        _("The notice of %(meeting)s is published; the owners are told."),
    ),
    "publish_protocol": (
        services.publish_protocol,
        Meeting.Status.COUNTING,
        _("Publish the protocol"),
        _("The protocol of %(meeting)s is published; the owners are told the result."),
    ),
}


@admin.register(Meeting)
class MeetingAdmin(BuildingScopedAdmin):
    """Owners' meetings of the staff member's buildings. Every step is a service: a meeting is
    created by `create_meeting`, its notice and protocol published and it is cancelled by the
    buttons on its page; its agenda and dates are edited only while it is a draft."""

    form = MeetingChangeForm
    inlines = [AgendaItemInline]
    list_display = [
        "number",
        "title",
        "building",
        "status",
        "voting_starts_at",
        "voting_ends_at",
        "protocol_due",
    ]
    list_display_links = ["number", "title"]
    list_filter = ["status", "form", ("building", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["building"]
    search_fields = ["title", "building__address"]
    date_hierarchy = "voting_starts_at"
    actions = ["publish_notices", "publish_protocols"]
    change_form_template = "admin/house/meeting/change_form.html"
    fieldsets = [
        (
            None,
            {"fields": ["building", "number", "title", "form", "initiator_name", "place"]},
        ),
        (_("Timeline"), {"fields": ["status", "voting_starts_at", "voting_ends_at"]}),
        (
            _("Record"),
            {
                "fields": [
                    "notice_published_at",
                    "counted_at",
                    "protocol_published_at",
                    "cancelled_reason",
                    "administrator",
                    "created_by",
                    "created_at",
                    "results",
                    "ballots_link",
                ]
            },
        ),
    ]
    always_read_only = [
        "building",
        "number",
        "status",
        "notice_published_at",
        "counted_at",
        "protocol_published_at",
        "cancelled_reason",
        "administrator",
        "created_by",
        "created_at",
        "results",
        "ballots_link",
    ]

    # Who may do what

    def has_change_permission(self, request, obj=None):
        # Only a draft is edited; afterwards the page is for looking, and its buttons act.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == Meeting.Status.DRAFT)

    def may_act(self, request, meeting: Meeting) -> bool:
        return super().has_change_permission(request, meeting) and selectors.may_administer(
            request.user, meeting.building
        )

    def has_delete_permission(self, request, obj=None):
        return False  # a meeting is cancelled, with its reason, never deleted

    def get_readonly_fields(self, request, obj=None):
        return self.always_read_only

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # The page

    @admin.display(description=_("result"))
    def results(self, meeting: Meeting) -> str:
        if meeting.status not in (Meeting.Status.COUNTING, Meeting.Status.PROTOCOL):
            return "—"
        count = selectors.count_of(meeting)
        if count is None:
            return "—"
        lines = [
            gettext("Took part: %(percent)s %% of the votes, %(owners)d of %(total)d owners; %(q)s")
            % {
                "percent": count.participating_percent,
                "owners": count.participating_owners,
                "total": count.owners_total,
                "q": gettext("quorum") if count.quorum else gettext("no quorum"),
            }
        ]
        for item in count.items:
            lines.append(
                gettext("Item %(n)d: for %(for)s %%, against %(against)s %% — %(result)s")
                % {
                    "n": item.number,
                    "for": item.for_percent,
                    "against": item.against_percent,
                    "result": gettext("adopted") if item.adopted else gettext("not adopted"),
                }
            )
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines))

    @admin.display(description=_("protocol due"))
    def protocol_due(self, meeting: Meeting) -> str:
        due = selectors.protocol_due(meeting)
        if due is None:
            return "—"
        if due < timezone.localdate():
            return format_html('<strong class="errornote">{} ({})</strong>', due, gettext("late"))
        return str(due)

    @admin.display(description=_("ballots"))
    def ballots_link(self, meeting: Meeting) -> str:
        if meeting.pk is None:
            return "—"
        total = meeting.ballots.count()
        return format_html(
            '<a href="{}?meeting__id__exact={}">{}</a>',
            reverse("admin:house_meetingballot_changelist"),
            meeting.pk,
            ngettext("%(n)d ballot", "%(n)d ballots", total) % {"n": total},
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        meeting = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if meeting is not None:
            acts = self.may_act(request, meeting)
            extra.update(
                transitions=[
                    (name, label)
                    for name, (_s, status, label, _done) in MEETING_TRANSITIONS.items()
                    if acts and meeting.status == status
                ],
                may_cancel=acts and meeting.status in (Meeting.Status.DRAFT, Meeting.Status.NOTICE),
                may_enter_paper=acts
                and meeting.form == Meeting.Form.MIXED
                and meeting.status == Meeting.Status.VOTING,
                frozen_notice=(
                    AGENDA_FROZEN_NOTICE if meeting.status != Meeting.Status.DRAFT else None
                ),
                status_label=meeting.get_status_display(),
            )
        return super().change_view(request, object_id, form_url, extra)

    def save_model(self, request, obj, form, change) -> None:
        pass  # a draft is written by `services.edit_draft` with its agenda, in save_related

    def save_related(self, request, form, formsets, change) -> None:
        """The draft and its agenda as edited, through the service (the items are numbered
        1, 2, … in the order shown); a refusal is shown and nothing is written."""
        agenda = next(f for f in formsets if f.model is AgendaItem)
        items = [
            services.AgendaItemInput(
                title=row.cleaned_data.get("title", ""),
                proposal=row.cleaned_data.get("proposal", ""),
                subject=row.cleaned_data.get("subject", "other"),
                entrance=row.cleaned_data.get("entrance"),
            )
            for row in agenda.forms
            if row not in agenda.deleted_forms
            and row.cleaned_data
            and (row.instance.pk is not None or row.has_changed())
        ]
        # The admin's history entry reads these; the service, not the formset, wrote the rows.
        agenda.new_objects, agenda.changed_objects, agenda.deleted_objects = [], [], []
        data = form.cleaned_data
        try:
            services.edit_draft(
                meeting=form.instance,
                by=request.user,
                title=data["title"],
                form=data["form"],
                initiator_name=data.get("initiator_name", ""),
                place=data.get("place", ""),
                voting_starts_at=data["voting_starts_at"],
                voting_ends_at=data["voting_ends_at"],
                items=items,
            )
        except DomainError as error:
            messages.error(request, _error_text(error))
            request._house_draft_refused = True  # type: ignore[attr-defined]

    def response_change(self, request, obj):
        if getattr(request, "_house_draft_refused", False):
            return redirect(request.path)  # the refusal's message only, not "changed"
        return super().response_change(request, obj)

    # Creating a meeting: the service writes it

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        buildings = _buildings(request).order_by("address")
        subjects = _subject_choices()
        data = request.POST if request.method == "POST" else None
        form = MeetingCreateForm(data, buildings=buildings)
        items = AgendaItemFormSet(data, prefix="items", form_kwargs={"subjects": subjects})
        status = 200
        if request.method == "POST":
            status = 422
            if form.is_valid() and items.is_valid():
                agenda = [
                    services.AgendaItemInput(
                        title=row["title"],
                        proposal=row.get("proposal") or "",
                        subject=row["subject"],
                        entrance=row.get("entrance"),
                    )
                    for row in items.cleaned_data
                    if row and (row.get("title") or "").strip()
                ]
                data = form.cleaned_data
                try:
                    meeting = services.create_meeting(
                        building=data["building"],
                        by=request.user,
                        title=data["title"],
                        voting_starts_at=data["voting_starts_at"],
                        voting_ends_at=data["voting_ends_at"],
                        items=agenda,
                        initiator_name=data["initiator_name"],
                        form=data["form"],
                        place=data["place"],
                    )
                except DomainError as error:
                    status = error.status
                    self._show_error(form, items, error)
                else:
                    self.log_addition(request, meeting, [{"added": {}}])
                    self.message_user(
                        request,
                        gettext("%(meeting)s is created as a draft.") % {"meeting": meeting},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:house_meeting_change", args=[meeting.pk])
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Call an owners' meeting"),
            "form": form,
            "items": items,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/house/meeting/add.html", context, status=status)

    @staticmethod
    def _show_error(form: forms.Form, items, error: DomainError) -> None:
        field = error.field or ""
        if field.startswith("items."):
            number = field.split(".", 1)[1]
            filled = [f for f in items.forms if (f.cleaned_data.get("title") or "").strip()]
            if number.isdigit() and 1 <= int(number) <= len(filled):
                filled[int(number) - 1].add_error(None, _error_text(error))
                return
        if field in form.fields:
            form.add_error(field, _error_text(error))
        else:
            form.add_error(None, _error_text(error))

    # The buttons

    def get_urls(self):
        def view(method):
            return self.admin_site.admin_view(method)

        return [
            path(
                "<int:meeting_id>/do/<str:name>/",
                view(self.transition_view),
                name="house_meeting_transition",
            ),
            path("<int:meeting_id>/cancel/", view(self.cancel_view), name="house_meeting_cancel"),
            path(
                "<int:meeting_id>/paper-ballot/",
                view(self.paper_ballot_view),
                name="house_meeting_paper_ballot",
            ),
            *super().get_urls(),
        ]

    def _meeting_to_act_on(self, request: HttpRequest, meeting_id: int) -> Meeting:
        meeting = self.get_object(request, str(meeting_id))  # 404 outside one's buildings
        if not self.may_act(request, meeting):
            raise PermissionDenied
        return meeting

    def _run(self, request: HttpRequest, name: str, meeting: Meeting) -> bool:
        service, _status, _label, done = MEETING_TRANSITIONS[name]
        try:
            service(meeting=meeting, by=request.user)
        except DomainError as error:
            self.message_user(request, f"{meeting}: {error.message}", messages.ERROR)
            return False
        self.message_user(request, done % {"meeting": meeting}, messages.SUCCESS)
        return True

    def transition_view(self, request: HttpRequest, meeting_id: int, name: str) -> HttpResponse:
        """A button on the meeting's page: one step, then back to the page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if name not in MEETING_TRANSITIONS:
            raise Http404
        meeting = self._meeting_to_act_on(request, meeting_id)
        self._run(request, name, meeting)
        return HttpResponseRedirect(reverse("admin:house_meeting_change", args=[meeting.pk]))

    @admin.action(description=_("Publish the notice of the selected meetings"), permissions=["act"])
    def publish_notices(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        for meeting in queryset.select_related("building"):
            self._run(request, "publish_notice", meeting)

    @admin.action(
        description=_("Publish the protocol of the selected meetings"), permissions=["act"]
    )
    def publish_protocols(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        for meeting in queryset.select_related("building"):
            self._run(request, "publish_protocol", meeting)

    def has_act_permission(self, request) -> bool:
        return super().has_change_permission(request)

    def _page(self, request, meeting: Meeting, title: str, template: str, status=200, **more):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": meeting,
            "meeting": meeting,
            "title": title,
            **more,
        }
        return TemplateResponse(request, f"admin/house/meeting/{template}", context, status=status)

    def cancel_view(self, request: HttpRequest, meeting_id: int) -> HttpResponse:
        """Asks for the reason, then cancels (the owners are told once the notice is out)."""
        meeting = self._meeting_to_act_on(request, meeting_id)
        form = CancelMeetingForm(request.POST or None)
        status = 200
        if request.method == "POST":
            status = 422
            if form.is_valid():
                try:
                    services.cancel_meeting(
                        meeting=meeting, by=request.user, reason=form.cleaned_data["reason"]
                    )
                except DomainError as error:
                    status = error.status
                    form.add_error(None, _error_text(error))
                    messages.error(request, _error_text(error))
                else:
                    self.message_user(
                        request,
                        gettext("%(meeting)s is cancelled.") % {"meeting": meeting},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:house_meeting_change", args=[meeting.pk])
                    )
        title = gettext("Cancel %(meeting)s") % {"meeting": meeting}
        return self._page(request, meeting, title, "cancel.html", status, form=form)

    def paper_ballot_view(self, request: HttpRequest, meeting_id: int) -> HttpResponse:
        """Enter one owner's paper ballot of a mixed meeting in voting."""
        meeting = self._meeting_to_act_on(request, meeting_id)
        form = PaperBallotForm(request.POST or None, meeting=meeting)
        status = 200
        if request.method == "POST":
            status = 422
            if form.is_valid():
                try:
                    ballot = services.enter_paper_ballot(
                        meeting=meeting,
                        by=request.user,
                        entry_ids=form.entry_ids(),
                        decisions=form.decisions(),
                        scan_reference=form.cleaned_data["scan_reference"],
                    )
                except DomainError as error:
                    status = error.status
                    form.add_error(None, _error_text(error))
                    messages.error(request, _error_text(error))
                else:
                    self.message_user(
                        request,
                        gettext("The paper ballot of %(owner)s is entered.")
                        % {"owner": ballot.owner_name},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:house_meeting_paper_ballot", args=[meeting.pk])
                    )
        refusal = None
        if meeting.form != Meeting.Form.MIXED:
            refusal = gettext(
                "This meeting is held electronically only: it takes no paper ballots."
            )
        elif meeting.status != Meeting.Status.VOTING:
            refusal = gettext("Voting in this meeting is not open.")
        title = gettext("Enter a paper ballot: %(meeting)s") % {"meeting": meeting}
        return self._page(
            request, meeting, title, "paper_ballot.html", status, form=form, refusal=refusal
        )


# --- Ballots: looked at, never altered ----------------------------------------------------------


class BallotLineInline(admin.TabularInline):
    model = BallotLine
    extra = 0
    fields = ["premises", "share", "area"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("premises"))
    def premises(self, line: BallotLine) -> str:
        return line.entry.premises_number

    @admin.display(description=_("share"))
    def share(self, line: BallotLine) -> str:
        return str(line.entry.share)

    @admin.display(description=_("area, m²"))
    def area(self, line: BallotLine) -> str:
        return str(line.entry.area)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("entry")


@admin.register(MeetingBallot)
class MeetingBallotAdmin(BuildingScopedAdmin):
    """Every ballot of a meeting, electronic or paper: nobody adds, changes or deletes one here
    (the database keeps them as cast; the services are the only writers)."""

    building_lookup = "meeting__building"
    list_display = ["cast_at", "owner_name", "meeting", "channel", "scan_reference", "entered_by"]
    list_filter = ["channel", ("meeting", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["meeting__building", "entered_by"]
    search_fields = ["owner_name", "public_id", "scan_reference"]
    fields = [
        "meeting",
        "public_id",
        "owner_name",
        "owner",
        "channel",
        "decisions",
        "scan_reference",
        "entered_by",
        "cast_at",
        "leaf_hash",
    ]
    readonly_fields = fields
    inlines = [BallotLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


# --- Owners' demands for a meeting --------------------------------------------------------------


@admin.register(MeetingDemand)
class MeetingDemandAdmin(BuildingScopedAdmin):
    """Owners' demands for a meeting (art. 45 part 2), to look at: the owners sign on the site
    (`community.sign_demand`); once they hold 10 % of the votes the administrators are told and
    link here, and call the meeting from "Add owners' meeting"."""

    list_display = ["created_at", "building", "status", "signatures", "share", "reached_at"]
    list_filter = ["status", ("building", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["building"]
    search_fields = ["agenda", "building__address"]
    fields = [
        "building",
        "agenda",
        "status",
        "signatures",
        "share",
        "created_by",
        "created_at",
        "reached_at",
        "call_meeting",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(signature_total=Count("signatures"))

    @admin.display(description=_("signatures"), ordering="signature_total")
    def signatures(self, demand: MeetingDemand) -> int:
        return getattr(demand, "signature_total", None) or demand.signatures.count()

    @admin.display(description=_("share of all votes"))
    def share(self, demand: MeetingDemand) -> str:
        from activecitizen.house import community

        return f"{counting.percent(community.demand_share(demand), Fraction(1))} %"

    @admin.display(description=_("meeting"))
    def call_meeting(self, demand: MeetingDemand) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:house_meeting_add"), gettext("Call a meeting")
        )


class AnnouncementForm(forms.ModelForm):
    class Meta:
        model = Announcement
        fields = ["building", "title", "text"]

    def __init__(self, *args, request: HttpRequest | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        # Posted through the service, which checks the author and tells everyone: its refusal
        # is this form's error, and nothing is written.
        cleaned = super().clean()
        if self.errors or self.request is None:
            return cleaned
        try:
            self.instance = community.post_announcement(
                building=cleaned["building"],
                by=self.request.user,
                title=cleaned.get("title", ""),
                text=cleaned.get("text", ""),
            )
        except DomainError as error:
            raise forms.ValidationError(_error_text(error)) from error
        return cleaned


@admin.register(Announcement)
class AnnouncementAdmin(BuildingScopedAdmin):
    """Announcements are posted once (everyone in the building is told) and never edited."""

    form = AnnouncementForm
    list_display = ["title", "building", "created_at", "created_by"]
    list_filter = ["created_at"]
    search_fields = ["title", "text", "building__address"]
    readonly_fields = ["created_by", "created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithRequest(form):  # type: ignore[valid-type, misc]
            def __init__(self, *args, **inner) -> None:
                super().__init__(*args, request=request if obj is None else None, **inner)

        return WithRequest

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        pass  # written by community.post_announcement in the form's clean()
