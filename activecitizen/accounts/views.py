"""Sign-in by phone and code, sign-out, and the profile page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from activecitizen.accounts import services
from activecitizen.accounts.forms import CodeForm, PhoneForm, ProfileForm
from activecitizen.accounts.phones import display_phone
from activecitizen.core.errors import DomainError, RateLimited
from activecitizen.core.net import client_ip

SESSION_PHONE = "sign_in_phone"


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _refused(response: HttpResponse, error: DomainError) -> HttpResponse:
    response.status_code = error.status
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


def sign_in(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number. A code goes to it by SMS."""
    next_url = _next_url(request)
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or "core:home")
    form = PhoneForm(request.POST or None, initial={"phone": request.session.get(SESSION_PHONE)})
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.request_sign_in_code(
                phone=form.cleaned_data["phone"], ip=client_ip(request)
            )
        except DomainError as error:
            form.add_error("phone", str(error.message))
            page = render(request, "accounts/sign_in.html", {"form": form, "next": next_url})
            return _refused(page, error)
        request.session[SESSION_PHONE] = sent.phone
        target = reverse("accounts:sign_in_code")
        return redirect(f"{target}?next={next_url}" if next_url else target)
    return render(request, "accounts/sign_in.html", {"form": form, "next": next_url})


def sign_in_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the SMS. A new phone becomes a new account here."""
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("accounts:sign_in")
    next_url = _next_url(request)
    form = CodeForm(request.POST or None)
    context = {"form": form, "next": next_url, "phone_display": display_phone(phone)}
    if request.method == "POST" and form.is_valid():
        try:
            result = services.sign_in_with_code(
                phone=phone, code=form.cleaned_data["code"], ip=client_ip(request)
            )
        except DomainError as error:
            form.add_error("code", str(error.message))
            return _refused(render(request, "accounts/sign_in_code.html", context), error)
        login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
        request.session.pop(SESSION_PHONE, None)
        if result.created or not result.user.profile_complete:
            messages.success(
                request,
                _("Welcome! Tell us a little about yourself so that we show you the right polls."),
            )
            return redirect("accounts:profile")
        messages.success(request, _("You are signed in."))
        return redirect(next_url or "core:home")
    return render(request, "accounts/sign_in_code.html", context)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("core:home")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_for(user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_profile(user=user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(
                    error.field if error.field in form.fields else None, str(error.message)
                )
                status = error.status
            else:
                messages.success(request, _("Your profile is saved."))
                return redirect("accounts:profile")
        else:
            status = 422
    tokens = user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "tokens": tokens, "phone_display": display_phone(user.phone)},
        status=status,
    )


@login_required
@require_POST
def revoke_device(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        services.revoke_api_token(user=request.user, token_id=token_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The device is signed out."))
    return redirect("accounts:profile")


def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The admin's login page: staff sign in by phone and code like everyone else.

    A signed-in person without staff rights is told so instead of being sent round in a loop.
    """
    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect(_next_url(request) or "admin:index")
        raise PermissionDenied
    target = reverse("accounts:sign_in")
    next_url = _next_url(request)
    return redirect(f"{target}?next={next_url}" if next_url else target)
