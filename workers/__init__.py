"""RQ jobs: plain functions taking ids, run with this process's Deps."""

from __future__ import annotations

import threading

from bot.config import Settings
from bot.deps import Deps, build_deps

_deps: Deps | None = None
_lock = threading.Lock()


def use_deps(deps: Deps) -> None:
    """Make `deps` the ones jobs in this process use (the runner and app.py call this)."""
    global _deps
    _deps = deps


def deps() -> Deps:
    """This process's Deps, built from the environment on first use."""
    global _deps
    with _lock:
        if _deps is None:
            _deps = build_deps(Settings.from_env())
        return _deps


__all__ = ["deps", "use_deps"]
