"""Housekeeping jobs: keep each worker's knowledge base current."""

from __future__ import annotations

from workers import deps


def reload_knowledge() -> dict[str, object]:
    """Re-check the KB folder and swap in a new index if it changed and passes the check."""
    return deps().knowledge.reload().as_dict()
