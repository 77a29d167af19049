"""Broadcast jobs: expand an audience, send one chunk, and the periodic sweep that keeps broadcasts moving."""

from __future__ import annotations

from handlers import broadcast_flow
from workers import deps


def expand(broadcast_id: int) -> dict[str, object]:
    """Turn a started broadcast's audience into chunks and queue the first ones."""
    return broadcast_flow.expand(deps(), broadcast_id)


def send_chunk(broadcast_id: int, chunk: int) -> dict[str, object]:
    """Deliver one chunk of about 500 recipients under the shared rate limit."""
    return broadcast_flow.run_chunk(deps(), broadcast_id, chunk)


def sweep() -> dict[str, object]:
    """Re-queue work of dead workers, resume quota pauses, fold delivery reports into the database."""
    return broadcast_flow.sweep(deps())
