"""Votes in the admin: editors write, preview, schedule and publish polls; moderators moderate
own answers; auditors look at who took part and at the anonymous ballots.

Every change of a poll's status goes through `polls.editing`, never through a form field.
Questions and their options are edited on the poll's page (options one per line); a question's
own page (linked from the poll) adds option images. Once a poll opens, both become read-only.

Ballots carry nobody, and the admin keeps it so: the participation pages never show the ballot
id or hashes a person's receipt holds, and neither page shows the exact time of voting, which
would join the two.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from activecitizen.core.errors import DomainError
from activecitizen.geo.models import District, Okrug
from activecitizen.polls import editing
from activecitizen.polls.ballots import AGE_BANDS
from activecitizen.polls.models import (
    Ballot,
    FreeTextAnswer,
    Option,
    Participation,
    Poll,
    Question,
)
from activecitizen.polls.results import poll_results

FROZEN_NOTICE = _("Questions and options are frozen because the poll has opened.")
OWN_ANSWER_MARK = "*"
OPTION_TEXT_MAX = Option._meta.get_field("text").max_length or 300

# Audience and timing decide who may vote and when: once ballots may exist they stay as they
# were. Wording (title, description, image, category) may still be corrected.
FIELDS_FROZEN_AFTER_OPENING = [
    "scope",
    "opens_at",
    "closes_at",
    "points",
    "audience_okrugs",
    "audience_districts",
    "district_match",
    "age_min",
    "age_max",
    "audience_gender",
    "audience_interests",
    "min_verification",
]


# --- Transitions: the buttons on a poll's page and the list's actions ------------------------

Transition = Callable[..., Poll]
TRANSITIONS: dict[str, tuple[Transition, str, object]] = {
    # name: (service, from status, button label)
    "schedule": (editing.schedule_poll, Poll.Status.DRAFT, _("Schedule")),
    "unschedule": (editing.unschedule_poll, Poll.Status.SCHEDULED, _("Back to draft")),
    "close": (editing.close_poll_now, Poll.Status.OPEN, _("Close now")),
    "publish": (editing.publish_results, Poll.Status.CLOSED, _("Publish results")),
    "archive": (editing.archive_poll, Poll.Status.PUBLISHED, _("Archive")),
}


def _run_transition(
    request: HttpRequest, model_admin: admin.ModelAdmin, name: str, polls: list[Poll]
) -> None:
    """Apply one transition to each poll, saying what happened to each in messages."""
    service = TRANSITIONS[name][0]
    done: list[Poll] = []
    for poll in polls:
        try:
            service(poll=poll, by=request.user)
        except editing.PollNotReady as error:
            model_admin.message_user(
                request,
                format_html(
                    "{}<ul>{}</ul>",
                    gettext("“%(poll)s” cannot be scheduled yet:") % {"poll": poll.title},
                    format_html_join("", "<li>{}</li>", ((p,) for p in error.problems)),
                ),
                messages.ERROR,
            )
        except DomainError as error:
            model_admin.message_user(request, f"“{poll.title}”: {error.message}", messages.ERROR)
        else:
            done.append(poll)
    for poll in done:
        model_admin.message_user(
            request,
            gettext("“%(poll)s” is now: %(status)s.")
            % {"poll": poll.title, "status": Poll.Status(poll.status).label},
            messages.SUCCESS,
        )


def _transition_action(name: str, description: str | object):
    def action(model_admin: PollAdmin, request: HttpRequest, queryset: QuerySet[Poll]) -> None:
        _run_transition(request, model_admin, name, list(queryset.order_by("pk")))

    action.__name__ = f"{name}_polls"
    return admin.action(description=description, permissions=["change"])(action)


# --- Questions on the poll's page ----------------------------------------------------------


class QuestionInlineForm(forms.ModelForm):
    """A question with its options typed one per line: the quickest way to write a poll."""

    options_text = forms.CharField(
        label=_("Answer options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 70}),
        help_text=_(
            "One option per line, in order. Start a line with * for an own answer "
            "(“Other”): the voter then writes a text. At most two such lines."
        ),
    )

    class Meta:
        model = Question
        fields = ["position", "text", "kind", "min_choices", "max_choices", "required"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["options_text"] = "\n".join(
                (f"{OWN_ANSWER_MARK} " if o.free_text else "") + o.text
                for o in self.instance.options.all()
            )

    def clean_options_text(self) -> list[editing.OptionDraft]:
        drafts: list[editing.OptionDraft] = []
        seen: set[str] = set()
        for raw in (self.cleaned_data.get("options_text") or "").splitlines():
            line = raw.strip()
            if not line:
                continue
            own = line.startswith(OWN_ANSWER_MARK)
            text = line.removeprefix(OWN_ANSWER_MARK).strip() if own else line
            if not text:
                raise ValidationError(gettext("Write the own-answer option's text after the *."))
            if len(text) > OPTION_TEXT_MAX:
                raise ValidationError(
                    gettext("An option is longer than %(n)s characters.") % {"n": OPTION_TEXT_MAX}
                )
            if text.casefold() in seen:
                raise ValidationError(
                    gettext("The option “%(text)s” is listed twice.") % {"text": text}
                )
            seen.add(text.casefold())
            drafts.append(editing.OptionDraft(text=text, free_text=own))
        if sum(1 for d in drafts if d.free_text) > editing.MAX_OWN_ANSWERS:
            raise ValidationError(
                gettext("At most %(n)s own-answer options.") % {"n": editing.MAX_OWN_ANSWERS}
            )
        return drafts

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("kind") == Question.Kind.SINGLE:
            # One answer means exactly one: spare the editor two fields that can only be 1.
            cleaned["min_choices"] = cleaned["max_choices"] = 1
            self.instance.min_choices = self.instance.max_choices = 1
        elif (
            cleaned.get("min_choices") is not None
            and cleaned.get("max_choices") is not None
            and cleaned["min_choices"] > cleaned["max_choices"]
        ):
            raise ValidationError(gettext("“At least” is more than “at most”."))
        return cleaned


class FrozenAwareFormSet(BaseInlineFormSet):
    """Refuses, as a form error, any change to questions or options of a poll that has opened."""

    def frozen_poll(self) -> Poll:
        return self.instance

    def clean(self) -> None:
        super().clean()
        if not self.instance.pk:
            return
        touched = any(form.has_changed() for form in self.forms) or bool(self.deleted_forms)
        if touched:
            try:
                editing.ensure_editable(self.frozen_poll())
            except DomainError as error:
                raise ValidationError(str(error.message)) from error


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionInlineForm
    formset = FrozenAwareFormSet
    extra = 0
    show_change_link = True
    ordering = ["position", "id"]
    readonly_fields = ["options_list"]
    verbose_name_plural = _("questions and answer options")

    def get_fieldsets(self, request, obj=None):
        options = "options_list" if obj is not None and obj.is_frozen else "options_text"
        return [
            (
                None,
                {
                    "fields": [
                        "text",
                        ("kind", "min_choices", "max_choices", "required", "position"),
                        options,
                    ]
                },
            )
        ]

    def get_extra(self, request, obj=None, **kwargs) -> int:
        if obj is None or (not obj.is_frozen and not obj.questions.exists()):
            return 1
        return 0

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("options")

    def has_add_permission(self, request, obj=None) -> bool:
        return _editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return _editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _editable(obj) and super().has_delete_permission(request, obj)

    @admin.display(description=_("Answer options"))
    def options_list(self, question: Question) -> str:
        return _options_html(question)


def _editable(poll: Poll | None) -> bool:
    return poll is None or not poll.is_frozen


def _options_html(question: Question) -> str:
    return format_html(
        "<ol class='poll-options'>{}</ol>",
        format_html_join(
            "",
            "<li>{}{}</li>",
            (
                (
                    o.text,
                    format_html(" <em>({})</em>", gettext("own answer")) if o.free_text else "",
                )
                for o in question.options.all()
            ),
        ),
    )


# --- Polls ---------------------------------------------------------------------------------


class PollAdminForm(forms.ModelForm):
    class Meta:
        model = Poll
        fields = [
            "title",
            "description",
            "image",
            "category",
            *FIELDS_FROZEN_AFTER_OPENING,
            "results_visibility",
        ]
        widgets = {"title": forms.TextInput(attrs={"size": 80})}

    def clean(self) -> dict:
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", gettext("The poll must close after it opens."))
        age_min, age_max = cleaned.get("age_min"), cleaned.get("age_max")
        if age_min is not None and age_max is not None and age_min > age_max:
            self.add_error("age_max", gettext("The oldest age must not be below the youngest."))
        return cleaned


class StatusFilter(admin.SimpleListFilter):
    """The statuses in their order of life, not alphabetically."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Poll.Status.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    form = PollAdminForm
    inlines = [QuestionInline]
    list_display = [
        "title",
        "status_badge",
        "category",
        "scope",
        "voting",
        "question_count",
        "ballots_counted",
        "preview_link",
    ]
    list_display_links = ["title"]
    list_filter = [StatusFilter, "category", "scope"]
    search_fields = ["title", "description", "questions__text"]
    date_hierarchy = "opens_at"
    ordering = ["-opens_at", "-id"]
    autocomplete_fields = ["audience_okrugs", "audience_districts"]
    filter_horizontal = ["audience_interests"]
    save_on_top = True
    actions = [
        _transition_action("schedule", _("Schedule the selected polls")),
        _transition_action("unschedule", _("Move the selected polls back to draft")),
        _transition_action("close", _("Close the selected polls now")),
        _transition_action("publish", _("Publish the results of the selected polls")),
        _transition_action("archive", _("Archive the selected polls")),
    ]
    fieldsets = [
        (_("Content"), {"fields": ["title", "description", "image", "category"]}),
        (_("Timing"), {"fields": ["status", ("opens_at", "closes_at")]}),
        (
            _("Audience"),
            {
                "fields": [
                    "scope",
                    "audience_okrugs",
                    "audience_districts",
                    "district_match",
                    ("age_min", "age_max"),
                    "audience_gender",
                    "audience_interests",
                    "min_verification",
                ],
                "description": _(
                    "Who may vote and who is told about the poll. Every rule that is set must "
                    "hold; an empty rule admits everyone. A district poll names its districts "
                    "or okrugs; a sectoral poll names interests, an age range or a gender."
                ),
            },
        ),
        (
            _("Points and results"),
            {
                "fields": [
                    "points",
                    "results_visibility",
                    "ballots_counted",
                    "results_summary",
                    "created_by",
                ]
            },
        ),
    ]

    # The list

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(question_total=Count("questions"))

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, poll: Poll) -> str:
        return format_html(
            '<span class="poll-status poll-status-{}">{}</span>',
            poll.status,
            Poll.Status(poll.status).label,
        )

    @admin.display(description=_("voting"), ordering="opens_at")
    def voting(self, poll: Poll) -> str:
        opens, closes = localtime(poll.opens_at), localtime(poll.closes_at)
        return format_html(
            "{}&nbsp;– {}",
            date_format(opens, "SHORT_DATE_FORMAT"),
            date_format(closes, "SHORT_DATE_FORMAT"),
        )

    @admin.display(description=_("questions"), ordering="question_total")
    def question_count(self, poll: Poll) -> int:
        return getattr(poll, "question_total", None) or poll.questions.count()

    @admin.display(description=_("preview"))
    def preview_link(self, poll: Poll) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:polls_poll_preview", args=[poll.pk]),
            gettext("Preview"),
        )

    def get_actions(self, request):
        # A poll is deleted one at a time, and only as a draft (see has_delete_permission).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # The page

    def get_readonly_fields(self, request, obj=None):
        fields = ["status", "ballots_counted", "results_summary", "created_by"]
        if obj is not None and obj.is_frozen:
            fields += FIELDS_FROZEN_AFTER_OPENING
        return fields

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status == Poll.Status.DRAFT)

    @admin.display(description=_("results"))
    def results_summary(self, poll: Poll) -> str:
        # The same numbers as the public results page: one source of truth.
        if poll.pk is None or poll.status in {Poll.Status.DRAFT, Poll.Status.SCHEDULED}:
            return "—"
        blocks = []
        for question in poll_results(poll).questions:
            rows = format_html_join(
                "",
                "<tr><td>{}</td><td class='num'>{}</td><td class='num'>{} %</td></tr>",
                ((option.text, option.count, option.percent) for option in question.options),
            )
            blocks.append(
                format_html(
                    "<p><strong>{}</strong> — {}</p><table class='poll-results'>{}</table>",
                    question.text,
                    ngettext("%(n)d respondent", "%(n)d respondents", question.respondents)
                    % {"n": question.respondents},
                    rows,
                )
            )
        link = format_html(
            "<p><a href='{}'>{}</a></p>",
            reverse("polls:results", args=[poll.pk]),
            gettext("Public page"),
        )
        return format_html_join("", "{}", ((b,) for b in [*blocks, link])) if blocks else "—"

    def get_urls(self):
        return [
            path(
                "<int:poll_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="polls_poll_preview",
            ),
            path(
                "<int:poll_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="polls_poll_transition",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        poll = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if poll is not None:
            can_change = self.has_change_permission(request, poll)
            extra.update(
                frozen_notice=FROZEN_NOTICE if poll.is_frozen else None,
                problems=(
                    editing.validate_poll_for_schedule(poll)
                    if poll.status == Poll.Status.DRAFT
                    else []
                ),
                transitions=[
                    (name, label)
                    for name, (_service, status, label) in TRANSITIONS.items()
                    if can_change and poll.status == status
                ],
                status_label=Poll.Status(poll.status).label,
                public_url=_public_url(poll),
            )
        return super().change_view(request, object_id, form_url, extra)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Question:
            return super().save_formset(request, form, formset, change)
        changed = [f for f in formset.forms if f.has_changed() and f not in formset.deleted_forms]
        if changed or formset.deleted_forms:
            editing.ensure_editable(form.instance)
        formset.save()
        for question_form in changed:
            if "options_text" in question_form.changed_data:
                editing.set_options(
                    question=question_form.instance,
                    options=question_form.cleaned_data["options_text"],
                )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        problems = editing.recheck_after_edit(poll=form.instance, by=request.user)
        if problems:
            self.message_user(
                request,
                format_html(
                    "{}<ul>{}</ul>",
                    gettext("The poll went back to draft: it is no longer ready to open."),
                    format_html_join("", "<li>{}</li>", ((p,) for p in problems)),
                ),
                messages.WARNING,
            )

    # Extra pages

    def preview_view(self, request: HttpRequest, poll_id: int) -> HttpResponse:
        poll = get_object_or_404(
            Poll.objects.prefetch_related(
                "questions__options", "audience_okrugs", "audience_districts", "audience_interests"
            ),
            pk=poll_id,
        )
        if not self.has_view_or_change_permission(request, poll):
            raise DjangoPermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": poll,
            "poll": poll,
            "title": gettext("Preview: %(poll)s") % {"poll": poll.title},
            "questions": poll.questions.all(),
            "audience": audience_lines(poll),
            "status_label": Poll.Status(poll.status).label,
            "problems": (
                editing.validate_poll_for_schedule(poll) if poll.status == Poll.Status.DRAFT else []
            ),
            "frozen_notice": FROZEN_NOTICE if poll.is_frozen else None,
        }
        return TemplateResponse(request, "admin/polls/poll/preview.html", context)

    def transition_view(self, request: HttpRequest, poll_id: int, name: str) -> HttpResponse:
        """A button on the poll's page: one transition, then back to the page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        poll = get_object_or_404(Poll, pk=poll_id)
        if name not in TRANSITIONS or not self.has_change_permission(request, poll):
            raise DjangoPermissionDenied
        _run_transition(request, self, name, [poll])
        return HttpResponseRedirect(reverse("admin:polls_poll_change", args=[poll.pk]))


def _public_url(poll: Poll) -> str | None:
    if poll.status in {Poll.Status.DRAFT, Poll.Status.SCHEDULED}:
        return None
    try:
        return reverse("polls:detail", args=[poll.pk])
    except NoReverseMatch:
        return None


def audience_lines(poll: Poll) -> list[str]:
    """The poll's audience in words, one rule a line, as an editor checks it before scheduling."""
    lines = [gettext("Scope: %(scope)s") % {"scope": Poll.Scope(poll.scope).label}]
    okrugs = [str(o) for o in poll.audience_okrugs.all()]
    districts = [str(d) for d in poll.audience_districts.all()]
    match = Poll.DistrictMatch(poll.district_match).label
    if okrugs:
        lines.append(
            gettext("Okrugs (%(match)s): %(list)s") % {"match": match, "list": ", ".join(okrugs)}
        )
    if districts:
        lines.append(
            gettext("Districts (%(match)s): %(list)s")
            % {"match": match, "list": ", ".join(districts)}
        )
    if poll.age_min is not None or poll.age_max is not None:
        lines.append(
            gettext("Age: %(min)s–%(max)s")
            % {
                "min": poll.age_min if poll.age_min is not None else "…",
                "max": poll.age_max if poll.age_max is not None else "…",
            }
        )
    if poll.audience_gender:
        lines.append(gettext("Gender: %(gender)s") % {"gender": poll.get_audience_gender_display()})
    interests = [str(i) for i in poll.audience_interests.all()]
    if interests:
        lines.append(gettext("Interests (any of): %(list)s") % {"list": ", ".join(interests)})
    lines.append(
        gettext("Verification needed: %(level)s") % {"level": poll.get_min_verification_display()}
    )
    return lines


# --- Questions on their own page (option images, details) ----------------------------------


class OptionFormSet(FrozenAwareFormSet):
    def frozen_poll(self) -> Poll:
        return self.instance.poll

    def clean(self) -> None:
        super().clean()
        own = sum(
            1
            for form in self.forms
            if form not in self.deleted_forms and form.cleaned_data.get("free_text")
        )
        if own > editing.MAX_OWN_ANSWERS:
            raise ValidationError(
                gettext("At most %(n)s own-answer options.") % {"n": editing.MAX_OWN_ANSWERS}
            )


class OptionInline(admin.TabularInline):
    model = Option
    formset = OptionFormSet
    fields = ["position", "text", "free_text", "image"]
    extra = 0
    ordering = ["position", "id"]

    def get_extra(self, request, obj=None, **kwargs) -> int:
        return 2 if obj is None or (not obj.poll.is_frozen and obj.options.count() < 2) else 0

    def has_add_permission(self, request, obj=None) -> bool:
        return _question_editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return _question_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _question_editable(obj) and super().has_delete_permission(request, obj)


def _question_editable(question: Question | None) -> bool:
    return question is None or not question.poll.is_frozen


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Reached from its poll's page ("Change" on a question); not listed on the admin index."""

    inlines = [OptionInline]
    fields = ["poll", "position", "text", "kind", ("min_choices", "max_choices"), "required"]
    list_display = ["text", "poll", "kind", "position"]
    list_select_related = ["poll"]
    search_fields = ["text", "poll__title"]

    def get_model_perms(self, request):
        return {}  # hidden from the index: questions belong on their poll's page

    def get_readonly_fields(self, request, obj=None):
        return ["poll"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "poll":
            kwargs["queryset"] = Poll.objects.filter(
                status__in=[Poll.Status.DRAFT, Poll.Status.SCHEDULED]
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        return _question_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _question_editable(obj) and super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        question = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if question is not None:
            extra["frozen_notice"] = FROZEN_NOTICE if question.poll.is_frozen else None
            extra["poll_url"] = reverse("admin:polls_poll_change", args=[question.poll_id])
            extra["poll_title"] = question.poll.title
        return super().change_view(request, object_id, form_url, extra)

    def save_model(self, request, obj, form, change):
        editing.ensure_editable(obj.poll)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        editing.ensure_editable(obj.poll)
        super().delete_model(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        problems = editing.recheck_after_edit(poll=form.instance.poll, by=request.user)
        if problems:
            self.message_user(
                request,
                gettext("The poll went back to draft: it is no longer ready to open."),
                messages.WARNING,
            )

    def _back_to_poll(self, request, obj: Question, response: HttpResponse) -> HttpResponse:
        if any(k in request.POST for k in ("_continue", "_addanother", "_saveasnew")):
            return response
        return HttpResponseRedirect(reverse("admin:polls_poll_change", args=[obj.poll_id]))

    def response_change(self, request, obj):
        return self._back_to_poll(request, obj, super().response_change(request, obj))

    def response_add(self, request, obj, post_url_continue=None):
        return self._back_to_poll(
            request, obj, super().response_add(request, obj, post_url_continue)
        )


# --- Own answers ---------------------------------------------------------------------------


@admin.register(FreeTextAnswer)
class FreeTextAnswerAdmin(admin.ModelAdmin):
    list_display = ["short_text", "poll", "option", "moderation_badge", "moderated_by"]
    list_filter = ["moderation", ("poll", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["text"]
    list_select_related = ["poll", "option", "moderated_by"]
    readonly_fields = ["poll", "option", "text", "moderation", "moderated_by"]
    fields = readonly_fields
    actions = ["publish_answers", "reject_answers"]
    ordering = ["-id"]

    def has_add_permission(self, request) -> bool:
        return False  # own answers come from ballots only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a rejected answer stays, rejected: the record of moderation

    @admin.display(description=_("text"))
    def short_text(self, answer: FreeTextAnswer) -> str:
        return answer.text if len(answer.text) <= 120 else answer.text[:119] + "…"

    @admin.display(description=_("moderation"), ordering="moderation")
    def moderation_badge(self, answer: FreeTextAnswer) -> str:
        return format_html(
            '<span class="moderation moderation-{}">{}</span>',
            answer.moderation,
            answer.get_moderation_display(),
        )

    def _moderate(self, request, queryset, decision: str) -> None:
        done = 0
        for answer in queryset:
            try:
                editing.moderate_free_text(answer=answer, decision=decision, by=request.user)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
                return
            done += 1
        message = (
            ngettext("%(n)d answer published.", "%(n)d answers published.", done)
            if decision == FreeTextAnswer.Moderation.PUBLISHED
            else ngettext("%(n)d answer rejected.", "%(n)d answers rejected.", done)
        )
        self.message_user(request, message % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Publish the selected answers"), permissions=["change"])
    def publish_answers(self, request, queryset):
        self._moderate(request, queryset, FreeTextAnswer.Moderation.PUBLISHED)

    @admin.action(description=_("Reject the selected answers"), permissions=["change"])
    def reject_answers(self, request, queryset):
        self._moderate(request, queryset, FreeTextAnswer.Moderation.REJECTED)


# --- Who took part, and the anonymous ballots: read only -----------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdmin):
    # Not the receipt (ballot id, hashes) and not the exact time: either would name the ballot.
    list_display = ["user", "phone", "poll", "channel", "voted_on", "assisted_by"]
    fields = ["user", "phone", "poll", "channel", "voted_on", "assisted_by"]
    readonly_fields = fields
    list_filter = ["channel", ("poll", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__phone", "user__last_name"]
    list_select_related = ["user", "poll", "assisted_by"]
    show_full_result_count = False
    ordering = ["-id"]

    @admin.display(description=_("phone"))
    def phone(self, participation: Participation) -> str:
        return participation.user.phone

    @admin.display(description=_("voted on"))
    def voted_on(self, participation: Participation) -> str:
        return date_format(localtime(participation.cast_at).date(), "DATE_FORMAT")


class BallotPollFilter(admin.SimpleListFilter):
    """Polls that can have ballots, read from the polls (not a scan of the ballots)."""

    title = _("poll")
    parameter_name = "poll"

    def lookups(self, request, model_admin):
        polls = Poll.objects.exclude(status__in=[Poll.Status.DRAFT, Poll.Status.SCHEDULED])
        return [(str(p.pk), p.title) for p in polls.only("pk", "title")]

    def queryset(self, request, queryset):
        return queryset.filter(poll_id=self.value()) if self.value() else queryset


class AgeBandFilter(admin.SimpleListFilter):
    """Fixed choices: listing the values found would scan every ballot."""

    title = _("age band")
    parameter_name = "age_band"

    def lookups(self, request, model_admin):
        return [(band, band) for _low, _high, band in AGE_BANDS] + [("unknown", _("not given"))]

    def queryset(self, request, queryset):
        return queryset.filter(age_band=self.value()) if self.value() else queryset


class GenderFilter(AgeBandFilter):
    title = _("gender")
    parameter_name = "gender"

    def lookups(self, request, model_admin):
        return [("female", _("female")), ("male", _("male")), ("unknown", _("not given"))]

    def queryset(self, request, queryset):
        return queryset.filter(gender=self.value()) if self.value() else queryset


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdmin):
    # Nobody in it: no person, no participation, the day of voting but not the time.
    list_display = ["public_id", "poll", "channel", "okrug", "district", "age_band", "gender"]
    fields = [
        "public_id",
        "poll",
        "channel",
        "okrug",
        "district",
        "age_band",
        "gender",
        "voted_on",
        "content",
    ]
    readonly_fields = fields
    list_filter = [BallotPollFilter, "channel", AgeBandFilter, GenderFilter]
    search_fields = ["=public_id"]
    list_select_related = ["poll"]
    show_full_result_count = False
    ordering = ["-id"]

    @admin.display(description=_("okrug"))
    def okrug(self, ballot: Ballot) -> str:
        return _place_name(Okrug, ballot.okrug_id)

    @admin.display(description=_("district"))
    def district(self, ballot: Ballot) -> str:
        return _place_name(District, ballot.district_id)

    @admin.display(description=_("voted on"))
    def voted_on(self, ballot: Ballot) -> str:
        return date_format(localtime(ballot.cast_at).date(), "DATE_FORMAT")


# Ballots keep plain ids of places (no foreign keys on the biggest table); the few okrugs and
# districts are read once, not once a row. Names are shown in the language of each request.
_places: dict[type, dict[int, Okrug | District]] = {}


def _place_name(model: type[Okrug] | type[District], pk: int | None) -> str:
    if pk is None:
        return "—"
    known = _places.get(model, {})
    if pk not in known:
        known = {p.pk: p for p in model.objects.only("name_ru", "name_en")}
        _places[model] = known
    place = known.get(pk)
    return str(place) if place else "—"
