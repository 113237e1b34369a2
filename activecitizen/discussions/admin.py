"""The back office of public discussions: editors prepare projects with their documents and
conclusion; moderators work the queue of proposals (publish, reject with a reason, verify the
participant) through the services. Who sees what follows the role's model permissions."""

from __future__ import annotations

import itertools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from activecitizen.core.errors import DomainError
from activecitizen.discussions import services, uploads
from activecitizen.discussions.models import Project, ProjectDocument, Proposal


class ProjectDocumentForm(forms.ModelForm):
    class Meta:
        model = ProjectDocument
        fields = ["title", "file", "position"]

    def clean_file(self):
        file = self.cleaned_data.get("file")
        # Only a newly uploaded file is checked; a kept one passed when it came.
        if file is not None and hasattr(file, "content_type"):
            try:
                uploads.check_upload(file, max_bytes=uploads.DOCUMENT_MAX_BYTES, field="file")
            except DomainError as error:
                raise forms.ValidationError(str(error.message)) from None
        return file


class ProjectDocumentInline(admin.TabularInline):
    model = ProjectDocument
    form = ProjectDocumentForm
    extra = 1


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "title",
            "description",
            "organiser",
            "is_published",
            "districts",
            "lat",
            "lon",
            "notice_published_at",
            "exposition_opens_at",
            "exposition_closes_at",
            "proposals_open_at",
            "proposals_close_at",
            "protocol_at",
            "conclusion_at",
            "conclusion_text",
        ]

    def clean(self):
        data = super().clean()
        order = [
            "notice_published_at",
            "exposition_opens_at",
            "exposition_closes_at",
            "proposals_close_at",
            "protocol_at",
            "conclusion_at",
        ]
        moments = [(name, data.get(name)) for name in order]
        for (_a, earlier), (later_name, later) in itertools.pairwise(moments):
            if earlier and later and later < earlier:
                self.add_error(later_name, _("The stages must follow one another in time."))
        opens, closes = data.get("proposals_open_at"), data.get("proposals_close_at")
        notice = data.get("notice_published_at")
        if opens and closes and closes <= opens:
            self.add_error("proposals_close_at", _("Collection must close after it opens."))
        if opens and notice and opens < notice:
            self.add_error("proposals_open_at", _("Collection cannot open before the notice."))
        return data


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectForm
    list_display = [
        "title",
        "stage_badge",
        "proposals_open_at",
        "proposals_close_at",
        "is_published",
    ]
    list_filter = ["is_published", "districts__okrug"]
    search_fields = ["title", "organiser"]
    filter_horizontal = ["districts"]
    inlines = [ProjectDocumentInline]
    fieldsets = [
        (None, {"fields": ["title", "description", "organiser", "is_published"]}),
        (_("Territory"), {"fields": ["districts", "lat", "lon"]}),
        (
            _("Stages"),
            {
                "fields": [
                    "notice_published_at",
                    ("exposition_opens_at", "exposition_closes_at"),
                    ("proposals_open_at", "proposals_close_at"),
                    "protocol_at",
                    "conclusion_at",
                ]
            },
        ),
        (_("Conclusion"), {"fields": ["conclusion_text"]}),
    ]

    @admin.display(description=_("stage"))
    def stage_badge(self, project: Project) -> str:
        return project.stage_label


class ModerationActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason for rejection"),
        required=False,
        max_length=services.REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"size": 60}),
    )


class ProposalStatusFilter(admin.SimpleListFilter):
    """The queue first: without a choice the list shows what awaits moderation."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*Proposal.Status.choices, ("all", _("all"))]

    def choices(self, changelist):
        value = self.value() or Proposal.Status.PENDING
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or Proposal.Status.PENDING
        if value == "all":
            return queryset
        return queryset.filter(status=value)


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = [
        "short_text",
        "project",
        "participant_type",
        "document_reference",
        "participant_verified",
        "stance",
        "status",
        "created_at",
    ]
    list_filter = [ProposalStatusFilter, "stance", "participant_type", "participant_verified"]
    list_select_related = ["project"]
    search_fields = ["text", "project__title", "document_reference"]
    action_form = ModerationActionForm
    actions = ["publish", "reject", "verify"]
    ordering = ["created_at"]
    readonly_fields = [
        "project",
        "author",
        "participant_type",
        "document_reference",
        "participant_verified",
        "verified_by",
        "verified_at",
        "stance",
        "text",
        "attachment_link",
        "status",
        "rejection_reason",
        "created_at",
        "moderated_by",
        "moderated_at",
    ]
    exclude = ["attachment"]

    def has_add_permission(self, request) -> bool:
        return False  # proposals come from participants only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of a discussion is kept whole

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm("discussions.moderate_proposal")

    @admin.display(description=_("text"))
    def short_text(self, proposal: Proposal) -> str:
        return proposal.text if len(proposal.text) <= 100 else proposal.text[:99] + "…"

    @admin.display(description=_("attachment"))
    def attachment_link(self, proposal: Proposal) -> str:
        if not proposal.attachment:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("discussions:attachment", args=[proposal.pk]),
            proposal.attachment_name,
        )

    def _each(self, request, queryset, operation, done_message) -> None:
        done = 0
        for proposal in queryset:
            try:
                operation(proposal)
            except DomainError as error:
                self.message_user(request, f"{proposal.pk}: {error.message}", messages.ERROR)
                continue
            done += 1
        if done:
            self.message_user(request, done_message(done) % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Publish the selected proposals"), permissions=["moderate"])
    def publish(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda p: services.publish_proposal(proposal=p, by=request.user),
            lambda n: ngettext("%(n)d proposal published.", "%(n)d proposals published.", n),
        )

    @admin.action(
        description=_("Reject the selected proposals (give the reason)"), permissions=["moderate"]
    )
    def reject(self, request, queryset):
        reason = request.POST.get("reason", "")
        if not reason.strip():
            self.message_user(
                request,
                _("Give the reason for rejecting: the author is told it."),
                messages.ERROR,
            )
            return
        self._each(
            request,
            queryset,
            lambda p: services.reject_proposal(proposal=p, by=request.user, reason=reason),
            lambda n: ngettext("%(n)d proposal rejected.", "%(n)d proposals rejected.", n),
        )

    @admin.action(description=_("Verify the participants' entitlement"), permissions=["moderate"])
    def verify(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda p: services.verify_participant(proposal=p, by=request.user),
            lambda n: ngettext("%(n)d participant verified.", "%(n)d participants verified.", n),
        )
