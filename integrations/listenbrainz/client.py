"""The ListenBrainz client: POST /1/submit-listens and GET /1/validate-token with `Authorization: Token`.

Shapes from the public API docs (listenbrainz.readthedocs.io, "API" and "JSON documentation"). The base URL is
settings.LISTENBRAINZ_API_URL, or a user's own compatible server (Maloja's /apis/listenbrainz, Koito).
"""
from __future__ import annotations

from django.conf import settings

from integrations.errors import AuthFailed, MalformedResponse
from integrations.http import HttpClient

from .errors import TokenInvalid
from .types import ListenPayload, TokenInfo

SERVICE = "listenbrainz"
LISTEN_TYPES = ("single", "playing_now", "import")
MAX_BATCH = 1000  # the server refuses bigger submissions


class ListenBrainzClient:
    def __init__(self, *, token: str, base_url: str = "", max_retries: int | None = None) -> None:
        self.http = HttpClient(service=SERVICE, base_url=base_url or settings.LISTENBRAINZ_API_URL,
                               max_retries=max_retries, headers={"Authorization": f"Token {token}"})

    def close(self) -> None:
        self.http.close()

    def submit_listens(self, *, listen_type: str, listens: list[ListenPayload]) -> None:
        """Sends one batch; raises TokenInvalid on 401, TransientError when worth retrying."""
        if listen_type not in LISTEN_TYPES:
            raise ValueError(f"listen_type must be one of {LISTEN_TYPES}")
        if listen_type == "playing_now" and len(listens) != 1:
            raise ValueError("playing_now takes exactly one listen")
        for start in range(0, len(listens), MAX_BATCH):
            body = {"listen_type": listen_type, "payload": [item.as_json() for item in listens[start:start + MAX_BATCH]]}
            try:
                response = self.http.request("POST", "/1/submit-listens", json=body)
            except AuthFailed as exc:
                raise TokenInvalid(str(exc), service=SERVICE, status=exc.status) from exc
            try:
                status = response.json().get("status")
            except (ValueError, AttributeError) as exc:
                raise MalformedResponse("ListenBrainz answered submit-listens without JSON", service=SERVICE) from exc
            if status != "ok":
                raise MalformedResponse(f"ListenBrainz answered status {status!r}", service=SERVICE)

    def validate_token(self) -> TokenInfo:
        """Checks the token; TokenInvalid when refused."""
        try:
            data = self.http.get_json("/1/validate-token")
        except AuthFailed as exc:
            raise TokenInvalid(str(exc), service=SERVICE, status=exc.status) from exc
        if not isinstance(data, dict):
            raise MalformedResponse("ListenBrainz answered validate-token without an object", service=SERVICE)
        if not data.get("valid"):
            raise TokenInvalid(str(data.get("message") or "Token invalid."), service=SERVICE, status=200)
        return TokenInfo(valid=True, user_name=str(data.get("user_name") or ""))
