"""Instrumentation hooks: integrations import nothing of ours, so the app installs its recorder here.

albums' AppConfig.ready() sets the timing hook to the platform's metrics; without one (a script,
a unit test of the fetcher alone) timings are simply dropped.
"""
from __future__ import annotations

from collections.abc import Callable

TimingHook = Callable[[str, float, bool], None]

_timing_hook: TimingHook | None = None


def set_timing_hook(hook: TimingHook | None) -> None:
    """Installs (or with None removes) the function that receives every fetch and launch timing."""
    global _timing_hook
    _timing_hook = hook


def record_timing(*, name: str, duration: float, ok: bool = True) -> None:
    """Passes one timing to the installed hook; a failing hook never breaks a fetch."""
    hook = _timing_hook
    if hook is None:
        return
    try:
        hook(name, duration, ok)
    except Exception:  # instrumentation must not take a scrape down with it
        pass
