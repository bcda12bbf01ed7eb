from django.db.models import QuerySet

from common.types import AuthUser

from .models import ApiToken


def api_token_list(*, user: AuthUser) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (hashes only; plaintext is never stored)."""
    return ApiToken.objects.filter(user=user)
