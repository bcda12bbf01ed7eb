"""Integration errors that escape a view map to clear responses, never a 500."""
import pytest
from django.test import RequestFactory

from common.exceptions import upstream_response
from common.middleware import UpstreamErrorMiddleware
from integrations.errors import AuthFailed, MalformedResponse, NotConfigured, NotFound, RateLimited, TransientError


@pytest.mark.parametrize(
    ("exc", "status", "retry_after"),
    [
        (TransientError("down", service="discogs"), 503, 60),
        (RateLimited("slow down", service="discogs", retry_after=17), 503, 17),
        (NotFound("gone", service="internet_archive"), 404, None),
        (AuthFailed("nope", service="ebay"), 502, None),
        (MalformedResponse("junk", service="aoty"), 502, None),
        (NotConfigured("no key", service="spotify"), 503, None),
    ],
)
def test_upstream_response_maps_each_error(exc, status, retry_after):
    got_status, detail, got_retry = upstream_response(exc)
    assert (got_status, got_retry) == (status, retry_after)
    assert exc.service.replace("_", " ") in detail


@pytest.mark.django_db
def test_page_gets_friendly_error_with_retry_after(rf: RequestFactory):
    request = rf.get("/concerts/")
    request.user = type("Anon", (), {"is_authenticated": False})()
    response = UpstreamErrorMiddleware(lambda r: None).process_exception(request, RateLimited("x", service="discogs", retry_after=9))
    assert response.status_code == 503 and response["Retry-After"] == "9"
    assert b"discogs is unavailable right now" in response.content
    assert UpstreamErrorMiddleware(lambda r: None).process_exception(request, ValueError("x")) is None
