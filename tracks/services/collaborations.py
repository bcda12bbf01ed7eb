"""Collaborations: invitations, answers, permissions."""
from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from common.exceptions import Conflict, InvalidInput
from common.types import AuthUser
from tracks.models import (
    Collaboration,
    Pack,
    Song,
)
from tracks.permissions import OWNER_ONLY

from .profile import _evaluate, activity_record

log = logging.getLogger(__name__)


# -- collaborations ---------------------------------------------------------------------------------------
def _user_by_name(username: str) -> AuthUser:
    user = get_user_model().objects.filter(username__iexact=(username or "").strip(), is_active=True).first()
    if user is None:
        raise InvalidInput(f"No user called {username!r}.", field="username")
    return user


def collaboration_invite(*, user: AuthUser, username: str, song: Song | None = None, pack: Pack | None = None,
                         permission: str | None = None, message: str = "") -> Collaboration:
    """Invites another user onto the caller's song (song_edit) or pack (pack_view / pack_edit)."""
    target: Song | Pack | None = song if pack is None else (pack if song is None else None)
    if target is None:  # neither, or both
        raise InvalidInput("Invite onto either a song or a pack.", field="song_id")
    if target.owner_id != user.pk:
        raise PermissionDenied(OWNER_ONLY)
    permission = permission or (Collaboration.Permission.SONG_EDIT if song else Collaboration.Permission.PACK_VIEW)
    allowed = [Collaboration.Permission.SONG_EDIT] if song else [Collaboration.Permission.PACK_VIEW,
                                                                 Collaboration.Permission.PACK_EDIT]
    if permission not in allowed:
        raise InvalidInput(f"Permission must be one of: {', '.join(allowed)}.", field="permission")
    invitee = _user_by_name(username)
    if invitee.pk == user.pk:
        raise InvalidInput("You cannot invite yourself.", field="username")
    existing = Collaboration.objects.filter(user=invitee, **({"song": song} if song else {"pack": pack})).first()
    with transaction.atomic():
        if existing:
            if existing.state == Collaboration.State.ACCEPTED and existing.permission == permission:
                raise Conflict(f"{invitee.username} already collaborates with that permission.")
            existing.permission = permission
            if existing.state == Collaboration.State.DECLINED:
                existing.state = Collaboration.State.PENDING
                existing.responded_at = None
            existing.message = message[:300]
            existing.save()
            return existing
        collab = Collaboration.objects.create(song=song, pack=pack, user=invitee, invited_by=user,
                                              permission=permission, message=message[:300])
        activity_record(user=user, verb="invited", text=f"Invited {invitee.username} to {song or pack}", song=song,
                        pack=pack)
    return collab


@transaction.atomic
def collaboration_invite_batch(*, user: AuthUser, pack: Pack, usernames: Iterable[str], permission: str = "pack_view",
                               message: str = "") -> list[Collaboration]:
    """Invites several users onto a pack at once: all of them, or none if any name is wrong."""
    names = [n.strip() for n in usernames if n and n.strip()]
    if not names:
        raise InvalidInput("Name at least one user.", field="usernames")
    result = []
    for name in dict.fromkeys(n.lower() for n in names):
        try:
            result.append(collaboration_invite(user=user, username=name, pack=pack, permission=permission,
                                               message=message))
        except InvalidInput as exc:
            raise InvalidInput(exc.detail, field="usernames")
        except Conflict:
            continue
    return result


def collaboration_respond(*, user: AuthUser, collaboration: Collaboration, accept: bool) -> Collaboration:
    """The invitee accepts or declines; only they can."""
    if collaboration.user_id != user.pk:
        raise PermissionDenied("Only the invited user can answer an invitation.")
    if collaboration.state != Collaboration.State.PENDING:
        raise Conflict("This invitation was already answered.")
    with transaction.atomic():
        collaboration.state = Collaboration.State.ACCEPTED if accept else Collaboration.State.DECLINED
        collaboration.responded_at = timezone.now()
        collaboration.save(update_fields=["state", "responded_at", "updated_at"])
        if accept:
            target = collaboration.song or collaboration.pack
            activity_record(user=user, verb="collab_joined", text=f"Joined {target}", song=collaboration.song,
                            pack=collaboration.pack)
            _evaluate(user)
            _evaluate(collaboration.invited_by)
    return collaboration


def _target_owner_id(collaboration: Collaboration) -> int:
    """The owner of the song or pack the collaboration is on."""
    target = collaboration.song if collaboration.song_id else collaboration.pack
    if target is None:  # the model's check constraint sets exactly one of song and pack
        raise ValueError(f"Collaboration {collaboration.pk} is on neither a song nor a pack.")
    return target.owner_id


def collaboration_update(*, user: AuthUser, collaboration: Collaboration, permission: str) -> Collaboration:
    if _target_owner_id(collaboration) != user.pk:
        raise PermissionDenied(OWNER_ONLY)
    allowed = ["song_edit"] if collaboration.song_id else ["pack_view", "pack_edit"]
    if permission not in allowed:
        raise InvalidInput(f"Permission must be one of: {', '.join(allowed)}.", field="permission")
    collaboration.permission = permission
    collaboration.save(update_fields=["permission", "updated_at"])
    return collaboration


def collaboration_remove(*, user: AuthUser, collaboration: Collaboration) -> None:
    """The owner removes a collaborator, or the collaborator leaves."""
    if user.pk not in (_target_owner_id(collaboration), collaboration.user_id):
        raise PermissionDenied(OWNER_ONLY)
    collaboration.delete()
