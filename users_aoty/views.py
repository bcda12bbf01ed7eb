"""AOTY user pages: look up a profile, and the profile with its rating-distribution chart."""
from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from common.exceptions import InvalidInput, NotFound, ServiceUnavailable
from common.ratelimit import external_page_limit

from . import selectors, services


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Stored profiles, and a form that opens any AOTY user's profile."""
    username = request.GET.get("username", "").strip()
    error = ""
    if username:
        try:
            return redirect("users_aoty:detail", username=services.username_normalize(username))
        except InvalidInput as exc:
            error = exc.detail
    return render(request, "users_aoty/aoty_user_list.html",
                  {"users": selectors.aoty_user_list(), "username": username, "error": error})


@require_GET
def detail(request: HttpRequest, username: str) -> HttpResponse:
    try:
        # Only a profile we have not stored is fetched from AOTY while the visitor waits: that costs a call.
        # Stored names are normalised ("Foo_Bar" is stored as "foo-bar"), so the check must be too.
        if (not selectors.aoty_user_stored(username=services.username_normalize(username))
                and (limited := external_page_limit(request))):
            return limited
        served = services.aoty_user_serve(username=username)
    except (NotFound, InvalidInput) as exc:
        raise Http404(exc.detail)
    except ServiceUnavailable as exc:
        response = render(request, "albums/unavailable.html", {"title": f"AOTY user {username}", "detail": exc.detail,
                                                              "retry_after": exc.retry_after}, status=503)
        response["Retry-After"] = str(exc.retry_after)
        return response
    user = selectors.aoty_user_detail(username=served.obj.username)
    if user is None:  # deleted while it was being served
        raise Http404("No such AOTY user.")
    ratings = list(user.ratings.all())
    context = {
        "aoty_user": user, "served": served,
        "favorites": [f.album for f in user.favorites.all()],
        "recent_ratings": [r for r in ratings if r.kind == "rating"],
        "recent_reviews": [r for r in ratings if r.kind == "review"],
        "chart": selectors.rating_distribution_chart(distribution=user.rating_distribution or {}),
    }
    return render(request, "users_aoty/aoty_user_detail.html", context)
