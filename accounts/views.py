"""The account page: personal API tokens and data export with live progress."""
from __future__ import annotations

from allauth.account import views as allauth_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from common import selectors as common_selectors
from common.exceptions import InvalidInput
from common.types import AuthUser

from . import selectors, services


class AccountRequest(HttpRequest):
    """What the account views receive: django-htmx's details, and a signed-in user (login_required,
    which the type checker cannot see)."""

    htmx: HtmxDetails
    user: AuthUser


@login_required
@require_GET
def account(request: AccountRequest) -> HttpResponse:
    return render(request, "accounts/account.html", {
        "tokens": selectors.api_token_list(user=request.user),
        "jobs": common_selectors.job_list_for_user(user=request.user, limit=10),
    })


@login_required
@require_POST
def token_create(request: AccountRequest) -> HttpResponse:
    try:
        token, plaintext = services.api_token_create(user=request.user, name=request.POST.get("name", ""))
    except InvalidInput as exc:
        messages.error(request, exc.detail)
        return redirect("accounts:account")
    context = {"tokens": selectors.api_token_list(user=request.user), "new_token": plaintext, "new_token_name": token.name}
    if request.htmx:
        return render(request, "accounts/account.html#tokens", context)
    context["jobs"] = common_selectors.job_list_for_user(user=request.user, limit=10)
    return render(request, "accounts/account.html", context)


@login_required
@require_POST
def token_revoke(request: AccountRequest, pk: int) -> HttpResponse:
    if not services.api_token_revoke(user=request.user, token_id=pk):
        raise Http404("No such active token.")  # someone else's token looks the same as a missing one
    messages.success(request, "Token revoked.")
    if request.htmx:
        return render(request, "accounts/account.html#tokens", {"tokens": selectors.api_token_list(user=request.user)})
    return redirect("accounts:account")


@login_required
@require_POST
def export_start(request: AccountRequest) -> HttpResponse:
    job = services.user_data_export_start(user=request.user)
    return redirect("accounts:job_detail", pk=job.pk)


@login_required
@require_GET
def job_detail(request: AccountRequest, pk: int) -> HttpResponse:
    job = common_selectors.job_get_for_user(user=request.user, job_id=pk)
    template = "accounts/job_detail.html#job" if request.htmx else "accounts/job_detail.html"
    return render(request, template, {"job": job})


def login(request: HttpRequest) -> HttpResponse:
    """allauth's login page, answering 429 with Retry-After while the failed-login budget is spent.

    allauth re-renders the form with an error and a 200; a client (or a script) should see the same
    429 the API gives (POST /api/v1/auth/token), so both say the account is locked and for how long.
    """
    response = allauth_views.login(request)
    form = (getattr(response, "context_data", None) or {}).get("form")
    if request.method == "POST" and form is not None and form.has_error(NON_FIELD_ERRORS, "too_many_login_attempts"):
        response.status_code = 429
        response["Retry-After"] = str(services.login_retry_after(request=request, login=request.POST.get("login", "")))
    return response


@login_required
@require_POST
def logout_all(request: AccountRequest) -> HttpResponse:
    services.user_logout_everywhere(user=request.user)  # this session too
    messages.success(request, "Logged out everywhere.")
    return redirect("account_login")
