"""Sales jobs: tell a buyer after the grant, close orders left unpaid."""

from __future__ import annotations

from handlers import receipts, reconcile
from workers import deps


def notify_buyer(out_trade_no: str) -> str:
    """Tell the buyer of a paid order; errors propagate so RQ retries."""
    return receipts.tell_buyer(deps(), out_trade_no)


def close_expired_orders() -> dict[str, int]:
    """Close orders unpaid for 30 minutes (granting those paid meanwhile)."""
    return reconcile.close_expired(deps())
