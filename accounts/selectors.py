from .models import ApiToken


def api_token_list(*, user):
    """The user's own tokens, newest first (hashes only; plaintext is never stored)."""
    return ApiToken.objects.filter(user=user)
