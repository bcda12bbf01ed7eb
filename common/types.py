"""Type aliases shared by every app, so signatures say what they take without repeating unions."""
from __future__ import annotations

from typing import Any, TypeAlias

from django.contrib.auth.models import AnonymousUser, User

# A signed-in user; Stylus uses Django's own user model (AUTH_USER_MODEL is not swapped).
AuthUser: TypeAlias = User
# Whoever makes the request: a signed-in user or the anonymous one (views and selectors that serve both).
AnyUser: TypeAlias = User | AnonymousUser
# A JSON object as it comes off the wire or goes into a JSONField.
JSONDict: TypeAlias = dict[str, Any]
