"""Pages of public discussions: the list, a project with its proposals and the form, my
proposals, downloads, and the protocol and conclusion (thin: a selector or a service)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from activecitizen.core.errors import DomainError
from activecitizen.discussions import protocol as documents
from activecitizen.discussions import selectors, services, uploads
from activecitizen.discussions.forms import ProposalForm
from activecitizen.discussions.models import Project, Proposal, Stage
from activecitizen.geo.models import District


def project_list(request: HttpRequest) -> HttpResponse:
    district_id: int | None = None
    raw_district = request.GET.get("district", "")
    if raw_district.isdigit() and len(raw_district) < 12:
        district_id = int(raw_district)
    stage = request.GET.get("stage", "")
    if stage not in Stage.values:
        stage = ""
    found = selectors.projects(district_id=district_id, stage=stage or None)
    page = Paginator(found, 20).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("district", district_id or ""), ("stage", stage)) if v})
    return render(
        request,
        "discussions/list.html",
        {
            "page": page,
            "query": query,
            "district_id": district_id,
            "stage": stage,
            "stages": selectors.stage_labels(),
            "districts": District.objects.filter(planning_projects__isnull=False).distinct(),
        },
    )


def _visible_project(project_id: int) -> Project:
    return get_object_or_404(
        selectors.visible_projects().prefetch_related("districts", "documents"), pk=project_id
    )


def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _visible_project(project_id)
    return _render_project(request, project, form=ProposalForm())


def _render_project(
    request: HttpRequest, project: Project, *, form: ProposalForm, status: int = 200
) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    why_not = services.why_not_collecting(project)
    mine = (
        list(
            Proposal.objects.filter(project=project, author=user)
            .exclude(status=Proposal.Status.PUBLISHED)
            .order_by("-created_at")
        )
        if user is not None
        else []
    )
    published = Paginator(selectors.published_proposals(project), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "discussions/detail.html",
        {
            "project": project,
            "timeline": selectors.timeline(project),
            "by_stance": selectors.counts_by_stance(project),
            "page": published,
            "why_not": why_not,
            "can_submit": user is not None and why_not is None,
            "entitled_types": services.entitled_types(project, user) if user else [],
            "form": form,
            "mine": mine,
        },
        status=status,
    )


@login_required
@require_POST
def propose(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _visible_project(project_id)
    form = ProposalForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_project(request, project, form=form, status=422)
    data = form.cleaned_data
    try:
        services.submit_proposal(
            project=project,
            user=request.user,
            participant_type=data["participant_type"],
            stance=data["stance"],
            text=data["text"],
            document_reference=data["document_reference"],
            attachment=data.get("attachment") or None,
        )
    except DomainError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error.message))
        return _render_project(request, project, form=form, status=error.status)
    messages.success(
        request,
        _(
            "Thank you! Your proposal is sent to the moderators; we will tell you when it is "
            "published."
        ),
    )
    return redirect("discussions:detail", project_id=project.pk)


@login_required
def my_proposals(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_proposals(request.user.pk), 20).get_page(request.GET.get("page"))
    return render(request, "discussions/my.html", {"page": page})


def _download(field_file, *, name: str) -> FileResponse:
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type=uploads.content_type_of(name)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def document(request: HttpRequest, project_id: int, document_id: int) -> FileResponse:
    project = _visible_project(project_id)
    found = get_object_or_404(project.documents.all(), pk=document_id)
    return _download(found.file, name=found.file.name.rsplit("/", 1)[-1])


@require_GET
def attachment(request: HttpRequest, proposal_id: int) -> FileResponse:
    """A published proposal's attachment is public; before that only its author and
    moderators may open it."""
    proposal = get_object_or_404(
        Proposal.objects.filter(project__in=selectors.visible_projects()), pk=proposal_id
    )
    user = request.user
    allowed = proposal.status == Proposal.Status.PUBLISHED or (
        user.is_authenticated
        and (user.pk == proposal.author_id or user.has_perm("discussions.view_proposal"))
    )
    if not allowed or not proposal.attachment:
        raise Http404
    return _download(proposal.attachment, name=proposal.attachment_name)


def _links(project: Project, kind: str) -> dict[str, str]:
    return {
        "project": reverse("discussions:detail", args=[project.pk]),
        "pdf": reverse(f"discussions:{kind}_pdf", args=[project.pk]),
    }


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_protocol(project_id: int) -> Project:
    project = _visible_project(project_id)
    if not project.protocol_is_public():
        raise Http404  # the protocol is public on its date, not before
    return project


def _with_conclusion(project_id: int) -> Project:
    project = _visible_project(project_id)
    if not project.conclusion_is_public() or not project.conclusion_text.strip():
        raise Http404
    return project


@require_GET
def protocol_html(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _with_protocol(project_id)
    return HttpResponse(
        documents.render_protocol_html(
            documents.protocol_of(project), links=_links(project, "protocol")
        )
    )


@require_GET
def protocol_pdf(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _with_protocol(project_id)
    return _pdf_response(documents.protocol_pdf(project), f"protocol-discussion-{project.pk}.pdf")


@require_GET
def conclusion_html(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _with_conclusion(project_id)
    return HttpResponse(
        documents.render_conclusion_html(
            documents.conclusion_of(project), links=_links(project, "conclusion")
        )
    )


@require_GET
def conclusion_pdf(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _with_conclusion(project_id)
    return _pdf_response(
        documents.conclusion_pdf(project), f"conclusion-discussion-{project.pk}.pdf"
    )
