"""Schemas shared by every API router: the one error shape, so the OpenAPI documents each 4xx answer."""
from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """Every API error: {"detail": ...}; a string, or per-field entries for 422."""

    detail: Any


class DetailOut(Schema):
    """A plain acknowledgement: {"detail": "..."}."""

    detail: str


def errors(*codes: int) -> dict[int, type[ErrorOut]]:
    """`response={200: X, **errors(401, 404, 422)}`: declares the error answers an operation can give."""
    return {code: ErrorOut for code in codes}
