"""Housekeeping jobs: keep each worker's knowledge base current, and forget old unanswered messages."""

from __future__ import annotations

from handlers import gaps
from workers import deps


def reload_knowledge() -> dict[str, object]:
    """Re-check the KB folder and swap in a new index if it changed and passes the check."""
    return deps().knowledge.reload().as_dict()


def prune_unanswered() -> int:
    """Delete unanswered messages older than their retention period (handlers.gaps.RETENTION)."""
    return gaps.prune(deps())
