"""The per-user workflow template (the checklist every song gets)."""
from __future__ import annotations

import logging

from django.db import transaction
from django.http import Http404

from common.exceptions import InvalidInput
from common.types import AuthUser
from tracks import selectors
from tracks.models import (
    DEFAULT_WORKFLOW,
    Song,
    SongStep,
    Status,
    WorkflowStep,
)

from .profile import _evaluate
from .validation import _clean_text

log = logging.getLogger(__name__)


# -- workflow ----------------------------------------------------------------------------------------
def workflow_ensure(*, user: AuthUser) -> list[WorkflowStep]:
    """The user's workflow steps, creating the default 15 the first time."""
    steps = selectors.workflow_steps(user=user)
    if steps:
        return steps
    WorkflowStep.objects.bulk_create(
        [WorkflowStep(user=user, name=name, position=i) for i, name in enumerate(DEFAULT_WORKFLOW)],
        ignore_conflicts=True,
    )
    return selectors.workflow_steps(user=user)


def _songs_needing_steps(user: AuthUser):
    return Song.objects.filter(owner=user).exclude(status=Status.FUTURE)


@transaction.atomic
def workflow_step_create(*, user: AuthUser, name: str, position: int | None = None) -> WorkflowStep:
    """Adds a step (at the end unless a position is given) and an unticked box to every started song."""
    name = _clean_text(name, field="name", required=True, max_length=80)
    steps = workflow_ensure(user=user)
    if any(s.name.lower() == name.lower() for s in steps):
        raise InvalidInput(f"There is already a step called {name!r}.", field="name")
    step = WorkflowStep.objects.create(user=user, name=name, position=len(steps))
    if position is not None:
        workflow_reorder(user=user, step_ids=[s.pk for s in steps[:max(position, 0)]] + [step.pk]
                         + [s.pk for s in steps[max(position, 0):]])
    SongStep.objects.bulk_create([SongStep(song_id=sid, step=step) for sid in
                                  _songs_needing_steps(user).values_list("id", flat=True)], batch_size=1000)
    _evaluate(user)
    return step


def workflow_step_rename(*, user: AuthUser, step_id: int, name: str) -> WorkflowStep:
    name = _clean_text(name, field="name", required=True, max_length=80)
    step = WorkflowStep.objects.filter(pk=step_id, user=user).first()
    if step is None:
        raise Http404("No such step.")
    if WorkflowStep.objects.filter(user=user, name__iexact=name).exclude(pk=step.pk).exists():
        raise InvalidInput(f"There is already a step called {name!r}.", field="name")
    step.name = name
    step.save(update_fields=["name"])
    _evaluate(user)
    return step


@transaction.atomic
def workflow_step_delete(*, user: AuthUser, step_id: int) -> None:
    """Removes a step and its boxes from every song."""
    deleted, _ = WorkflowStep.objects.filter(pk=step_id, user=user).delete()
    if not deleted:
        raise Http404("No such step.")
    workflow_reorder(user=user, step_ids=[s.pk for s in selectors.workflow_steps(user=user)])
    _evaluate(user)


@transaction.atomic
def workflow_reorder(*, user: AuthUser, step_ids: list[int]) -> list[WorkflowStep]:
    """Puts the steps in the given order; every step of the user must appear exactly once."""
    steps = {s.pk: s for s in WorkflowStep.objects.select_for_update().filter(user=user)}
    if sorted(step_ids) != sorted(steps) or len(set(step_ids)) != len(step_ids):
        raise InvalidInput("Give every step of your workflow exactly once.", field="step_ids")
    for position, step_id in enumerate(step_ids):
        steps[step_id].position = position
    WorkflowStep.objects.bulk_update(steps.values(), ["position"])
    _evaluate(user)
    return selectors.workflow_steps(user=user)


def workflow_step_move(*, user: AuthUser, step_id: int, offset: int) -> list[WorkflowStep]:
    """Moves one step up (-1) or down (+1)."""
    ids = [s.pk for s in workflow_ensure(user=user)]
    if step_id not in ids:
        raise Http404("No such step.")
    i = ids.index(step_id)
    j = max(0, min(len(ids) - 1, i + offset))
    ids[i], ids[j] = ids[j], ids[i]
    return workflow_reorder(user=user, step_ids=ids)


@transaction.atomic
def workflow_reset(*, user: AuthUser) -> list[WorkflowStep]:
    """Back to the default 15 steps (boxes of removed steps go with them)."""
    WorkflowStep.objects.filter(user=user).exclude(name__in=DEFAULT_WORKFLOW).delete()
    existing = {s.name: s for s in WorkflowStep.objects.filter(user=user)}
    for position, name in enumerate(DEFAULT_WORKFLOW):
        step = existing.get(name) or WorkflowStep.objects.create(user=user, name=name, position=position)
        if step.position != position:
            step.position = position
            step.save(update_fields=["position"])
        if name not in existing:
            SongStep.objects.bulk_create([SongStep(song_id=sid, step=step) for sid in
                                          _songs_needing_steps(user).values_list("id", flat=True)], batch_size=1000)
    return selectors.workflow_steps(user=user)
