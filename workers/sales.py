"""Sales jobs: buyer notices (catching up on missed ones), closing unpaid orders, refunds."""

from __future__ import annotations

from handlers import receipts, reconcile, refunds
from workers import deps


def notify_buyer(out_trade_no: str) -> str:
    """Tell the buyer of a paid order; errors propagate so RQ retries."""
    return receipts.tell_buyer(deps(), out_trade_no)


def close_expired_orders() -> dict[str, int]:
    """Close orders unpaid for 30 minutes (granting those paid meanwhile)."""
    return reconcile.close_expired(deps())


def refund_order(out_trade_no: str) -> str:
    """Refund one order that needs it; a refusal propagates so RQ retries."""
    return refunds.refund(deps(), out_trade_no)


def refund_pending() -> dict[str, int]:
    """Apply for, or follow up, every refund not yet final (catches refunds whose job was never queued)."""
    return refunds.refund_pending(deps())


def tell_untold() -> dict[str, int]:
    """Tell the buyers whose purchase notice was never queued or never sent."""
    return receipts.tell_untold(deps())
