from django.utils import timezone

from .models import ApiToken


def api_token_list(*, user):
    """The user's own tokens, newest first (hashes only; plaintext is never stored)."""
    return ApiToken.objects.filter(user=user)


def spotify_token_for(*, user) -> str | None:
    """The user's Spotify OAuth access token from their allauth login, if any and still fresh."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    from allauth.socialaccount.models import SocialToken

    token = SocialToken.objects.filter(account__user=user, account__provider="spotify").order_by("-id").first()
    if token is None or (token.expires_at and token.expires_at <= timezone.now()):
        return None
    return token.token or None
