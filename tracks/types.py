"""The shapes of songs and packs that selectors hand out with extra attributes (query annotations or
values set on fetched rows), so views and schemas can read them with their types checked.

`WithAnnotations[Model, TypedDict]` is django-stubs' way to say "this model instance also carries
these attributes"; at runtime it is the plain model instance.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from .permissions import Role


class Progress(TypedDict):
    """Checklist progress: boxes in all, boxes ticked, and the rounded percentage (0 without boxes)."""

    steps_total: int
    steps_done: int
    steps_pct: int


class ListRowAttrs(Progress):
    """A row of the song list: progress, and whether the viewer may edit it inline."""

    can_edit: bool


class SongDetailAttrs(Progress):
    """A song fetched for one user: progress and that user's role on it."""

    role: Role


class RoleAttrs(TypedDict):
    role: Role


if TYPE_CHECKING:
    # Type checking only: on Python 3.11 the Annotated alias behind WithAnnotations cannot be subscripted
    # with two arguments at run time. Import these names under TYPE_CHECKING and quote them in casts.
    from typing import TypeAlias

    from django_stubs_ext import WithAnnotations

    from .models import Pack, Song

    SongWithProgress: TypeAlias = WithAnnotations[Song, Progress]
    SongRow: TypeAlias = WithAnnotations[Song, ListRowAttrs]
    SongDetail: TypeAlias = WithAnnotations[Song, SongDetailAttrs]
    PackDetail: TypeAlias = WithAnnotations[Pack, RoleAttrs]
