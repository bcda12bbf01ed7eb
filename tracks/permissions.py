"""Who may see and change what in Tracks. Every view and API operation goes through these helpers
(via the `*_get_for_user` selectors), so pages and endpoints answer the same way.

The rule
========
Roles on an object, from most to least powerful:

* ``owner``  — the user who created it. Everything, including delete, release and inviting others.
* ``editor`` — an *accepted* collaborator with ``song_edit`` on that song, or ``pack_edit`` on its pack.
  For a pack: ``pack_edit`` on that pack.
* ``viewer`` — an *accepted* collaborator with ``pack_view`` on the song's pack (or on that pack).
* nobody    — everyone else, including users whose invitation is still pending or was declined.

Responses:

* **Reads of a private object you have no role on are 404**, never 403, so ids of other people's
  songs and packs are not confirmed to exist.
* **Edits of an object you can see but not change are 403**: a viewer editing, an editor deleting
  or releasing or inviting (owner-only actions).
* Edits of an object you cannot see are 404 as well (the read check comes first).
* Lists only ever contain objects you have a role on.
* Album series, the workflow template, achievements and profile settings are never shared: only
  the owner sees them (404 otherwise). Public profiles are readable by anyone when their owner
  opted in, and 404 when not.

Collaborations themselves are seen by the invitee and the owner of the song or pack (404 for
everyone else). Only the invitee accepts or declines (403 for the owner); only the owner changes the
permission (403 for the invitee); either may end it.

Owner-only actions: delete, release a pack, add/remove collaborators, move a song to another pack
or album series of the owner's (an editor may clear the pack, but cannot file the song into packs
they cannot see).
"""
from __future__ import annotations

from enum import IntEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from common.types import AnyUser, AuthUser

from .models import Collaboration, Pack, Song


class Role(IntEnum):
    NONE = 0
    VIEWER = 1
    EDITOR = 2
    OWNER = 3


EDIT_FORBIDDEN = "You can see this, but you do not have permission to change it."
OWNER_ONLY = "Only the owner can do that."


def _accepted(user: AuthUser) -> QuerySet[Collaboration]:
    return Collaboration.objects.filter(user=user, state=Collaboration.State.ACCEPTED)


def visible_songs_q(user: AuthUser) -> Q:
    """Songs the user owns or collaborates on (directly, or through the song's pack)."""
    collabs = _accepted(user)
    return (Q(owner=user)
            | Q(pk__in=collabs.filter(song__isnull=False).values("song_id"))
            | Q(pack_id__in=collabs.filter(pack__isnull=False).values("pack_id")))


def visible_packs_q(user: AuthUser) -> Q:
    """Packs the user owns or is an accepted collaborator on."""
    return Q(owner=user) | Q(pk__in=_accepted(user).filter(pack__isnull=False).values("pack_id"))


def song_role(*, user: AnyUser, song: Song) -> Role:
    if not user.is_authenticated:
        return Role.NONE
    if song.owner_id == user.pk:
        return Role.OWNER
    perms = set(_accepted(user).filter(Q(song=song) | Q(pack_id=song.pack_id, pack__isnull=False))
                .values_list("permission", flat=True))
    if {Collaboration.Permission.SONG_EDIT, Collaboration.Permission.PACK_EDIT} & perms:
        return Role.EDITOR
    if Collaboration.Permission.PACK_VIEW in perms:
        return Role.VIEWER
    return Role.NONE


def pack_role(*, user: AnyUser, pack: Pack) -> Role:
    if not user.is_authenticated:
        return Role.NONE
    if pack.owner_id == user.pk:
        return Role.OWNER
    perms = set(_accepted(user).filter(pack=pack).values_list("permission", flat=True))
    if Collaboration.Permission.PACK_EDIT in perms:
        return Role.EDITOR
    if Collaboration.Permission.PACK_VIEW in perms:
        return Role.VIEWER
    return Role.NONE


def require(role: Role, needed: Role, *, what: str = "song") -> None:
    """Applies the rule: no role at all is 404; a role below `needed` is 403."""
    if role == Role.NONE:
        raise Http404(f"No such {what}.")
    if role < needed:
        raise PermissionDenied(OWNER_ONLY if needed == Role.OWNER else EDIT_FORBIDDEN)
