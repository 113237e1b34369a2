"""Pages of the news section: the list with its filters, an item, the "Project in faces"
stories, subscribing, and the signed links of the newsletter. Thin: services decide."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from activecitizen.core.errors import DomainError, RateLimited
from activecitizen.core.net import client_ip
from activecitizen.news import selectors, services
from activecitizen.news.forms import NewsFilterForm, PreferencesForm, SubscribeForm
from activecitizen.news.models import NewsItem

ITEMS_PER_PAGE = 12


def _query_without_page(query: QueryDict) -> str:
    kept = query.copy()
    kept.pop("page", None)
    return kept.urlencode()


def _list(request: HttpRequest, *, kind: str | None, template_title: str) -> HttpResponse:
    form = NewsFilterForm(request.GET or None, with_kind=kind is None)
    invalid = form.is_bound and not form.is_valid()
    items = selectors.published(
        kind=kind or form.value("kind"), tag=form.value("tag"), district_id=form.value("district")
    )
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "news/list.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_page(request.GET),
            "page_title": template_title,
            "stories_only": kind == NewsItem.Kind.STORY,
            "subscribe_form": SubscribeForm(),
        },
        status=400 if invalid else 200,
    )


def news_list(request: HttpRequest) -> HttpResponse:
    return _list(request, kind=None, template_title=_("News"))


def stories(request: HttpRequest) -> HttpResponse:
    return _list(request, kind=NewsItem.Kind.STORY, template_title=_("Project in faces"))


def item(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.item_by_slug(slug)
    if found is None:
        raise Http404(_("There is no such news item."))
    return render(request, "news/item.html", {"item": found})


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "news/subscribe.html", {"form": form}, status=422)
        try:
            services.subscribe(
                email=form.cleaned_data["email"],
                topics=form.cleaned_data["topics"],
                districts=form.cleaned_data["districts"],
                user=request.user if request.user.is_authenticated else None,
                ip=client_ip(request),
            )
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, str(error))
            response = render(request, "news/subscribe.html", {"form": form}, status=error.status)
            if isinstance(error, RateLimited):
                response["Retry-After"] = str(error.retry_after)
            return response
        # The same page whether the address was known or not: it tells nobody who subscribes.
        return render(request, "news/done.html", {"state": "sent"}, status=202)
    return render(request, "news/subscribe.html", {"form": form})


def _invalid_link(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(
        request, "news/done.html", {"state": "invalid", "message": str(error)}, status=400
    )


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscription = services.confirm(token=token)
    except services.InvalidLink as error:
        return _invalid_link(request, error)
    return render(
        request,
        "news/done.html",
        {"state": "confirmed", "manage_url": services.manage_url(subscription)},
    )


@csrf_exempt  # RFC 8058: mail programs POST the one-click unsubscribe without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        services.unsubscribe(token=token)
    except services.InvalidLink as error:
        return _invalid_link(request, error)
    return render(request, "news/done.html", {"state": "unsubscribed"})


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscription = services.subscription_for(token)
    except services.InvalidLink as error:
        return _invalid_link(request, error)
    status, saved = 200, False
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                subscription = services.update_preferences(
                    token=token,
                    topics=form.cleaned_data["topics"],
                    districts=form.cleaned_data["districts"],
                )
                saved = True
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
                status = error.status
        else:
            status = 422
    if status == 200:
        form = PreferencesForm(
            initial={
                "topics": [t.slug for t in subscription.topics.all()],
                "districts": [d.pk for d in subscription.districts.all()],
            }
        )
    return render(
        request,
        "news/preferences.html",
        {
            "form": form,
            "subscription": subscription,
            "saved": saved,
            "unsubscribe_url": services.unsubscribe_url(subscription),
        },
        status=status,
    )
