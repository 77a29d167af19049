"""Money back: refund, once and in full, a payment that bought nothing (paid after its order closed, or twice)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select, update

from bot.deps import Deps
from bot.errors import Upstream
from bot.models import Order, utcnow
from handlers import paygate, reconcile

log = logging.getLogger(__name__)
REASON = "订单已关闭或重复支付，原路退回"
FINAL = ("SUCCESS", "CLOSED", "ABNORMAL")     # WeChat Pay refund states that will not change by themselves


def refund_no(out_trade_no: str) -> str:
    """The refund number of an order: fixed, so a retried request can never refund twice."""
    return f"RF{out_trade_no}"


def refund(deps: Deps, out_trade_no: str) -> str:
    """Apply for the refund of an order flagged needs_refund (or ask how it went); returns its state, lower case.
    A refusal raises Upstream, so a job retries it."""
    with deps.sessions() as session:
        order = session.scalars(select(Order).where(Order.out_trade_no == out_trade_no)).one_or_none()
    if order is None or not order.needs_refund:
        return "not_needed"
    if order.refund_state in FINAL:
        return order.refund_state.lower()
    if not order.transaction_id:
        log.error("order %s needs a refund but has no transaction id", out_trade_no)
        return "no_transaction"
    number = refund_no(out_trade_no)
    if order.refund_state == "PROCESSING":
        answer = paygate.query_refund(deps, number)
    else:
        answer = paygate.refund(deps, number, order.transaction_id, order.amount_fen, REASON)
    if not answer.ok:
        raise Upstream(f"refund of order {out_trade_no} refused: {answer.status} {answer.code}")
    status = str(answer.data.get("status") or "PROCESSING")
    record(deps, out_trade_no, number, status)
    return status.lower()


def record(deps: Deps, out_trade_no: str, number: str, status: str) -> None:
    """Keep the refund's number and status on its order (and when the money went back)."""
    values: dict[str, Any] = {"refund_no": number, "refund_state": status[:16]}
    if status == "SUCCESS":
        values["refunded_at"] = utcnow()
    with deps.sessions.begin() as session:
        session.execute(update(Order).where(Order.out_trade_no == out_trade_no).values(**values))
    if status == "ABNORMAL":      # e.g. the payer's card was closed: WeChat Pay needs the merchant to act
        log.error("order %s refund %s is ABNORMAL: hand it over in the merchant platform", out_trade_no, number)
    else:
        log.info("order %s refund %s: %s", out_trade_no, number, status)


def record_notify(deps: Deps, resource: Mapping[str, Any]) -> bool:
    """Apply a REFUND.* notify (the decrypted resource); False when it names no refund of ours."""
    no, number, status = resource.get("out_trade_no"), resource.get("out_refund_no"), resource.get("refund_status")
    if not all(isinstance(v, str) and v for v in (no, number, status)) or number != refund_no(str(no)):
        return False
    record(deps, str(no), str(number), str(status))
    return True


def pending(deps: Deps) -> list[str]:
    """Orders whose money must still go back."""
    with deps.sessions() as session:
        return list(session.scalars(
            select(Order.out_trade_no)
            .where(Order.needs_refund.is_(True), or_(Order.refund_state.is_(None), Order.refund_state.not_in(FINAL)))
            .order_by(Order.paid_at)
        ))


def refund_pending(deps: Deps) -> dict[str, int]:
    """Apply for (or follow up) every pending refund; counts per resulting state."""
    results = reconcile.each_order(deps, refund, pending(deps))
    if results:
        log.info("pending refunds: %s", dict(results))
    return dict(results)
