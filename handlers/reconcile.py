"""Keeping orders true to WeChat Pay: close unpaid ones after 30 minutes, and repair missed notifies by query."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update

from bot.deps import Deps
from bot.errors import ServiceError
from bot.models import Order, utcnow
from handlers import ledger, paygate

log = logging.getLogger(__name__)
CLOSE_AFTER = timedelta(minutes=30)
RECONCILE_AFTER = timedelta(minutes=5)


def sync(deps: Deps, out_trade_no: str) -> str:
    """Ask WeChat Pay about one order and settle it when paid; returns the platform's trade_state."""
    answer = paygate.query(deps, out_trade_no)
    if answer.status == 404:
        return "NOT_EXIST"
    if not answer.ok:
        log.warning("order %s query refused: %s %s", out_trade_no, answer.status, answer.code)
        return "UNKNOWN"
    state = str(answer.data.get("trade_state", "UNKNOWN"))
    if state == "SUCCESS":
        ledger.after(deps, ledger.settle(deps, answer.data))
    return state


def mark_closed(deps: Deps, out_trade_no: str) -> bool:
    """CREATED → CLOSED in the ledger; False when the order was settled meanwhile."""
    with deps.sessions.begin() as session:
        changed = session.execute(
            update(Order).where(Order.out_trade_no == out_trade_no, Order.state == "CREATED")
            .values(state="CLOSED", closed_at=utcnow()).returning(Order.out_trade_no)
        ).first()
    return changed is not None


def close(deps: Deps, out_trade_no: str) -> str:
    """Close one unpaid order at WeChat Pay and in the ledger, or grant it when it turns out paid."""
    state = sync(deps, out_trade_no)
    if state == "SUCCESS":
        return "paid"
    if state in ("NOT_EXIST", "CLOSED"):
        return "closed" if mark_closed(deps, out_trade_no) else "settled"
    answer = paygate.close(deps, out_trade_no)
    if answer.ok:
        return "closed" if mark_closed(deps, out_trade_no) else "settled"
    if answer.code == "ORDERPAID":
        sync(deps, out_trade_no)
        return "paid"
    log.warning("order %s close refused: %s %s", out_trade_no, answer.status, answer.code)
    return "kept"


def _open_orders(deps: Deps, older_than: timedelta) -> list[str]:
    with deps.sessions() as session:
        return list(session.scalars(
            select(Order.out_trade_no).where(Order.state == "CREATED", Order.created_at < utcnow() - older_than)
            .order_by(Order.created_at)
        ))


def each_order(deps: Deps, step: Callable[[Deps, str], str], numbers: list[str],
               errors: tuple[type[Exception], ...] = (ServiceError,)) -> Counter[str]:
    """Run step on every order of a sweep, counting its results; an order that fails with one of `errors` counts
    as "error" and waits for the next sweep while the others go on."""
    results: Counter[str] = Counter()
    for no in numbers:
        try:
            results[step(deps, no)] += 1
        except errors as exc:
            log.warning("order %s: %s failed: %s", no, step.__name__, exc)
            results["error"] += 1
    return results


def close_expired(deps: Deps) -> dict[str, int]:
    """Close every order left unpaid for 30 minutes; returns counts per result."""
    results = each_order(deps, close, _open_orders(deps, CLOSE_AFTER))
    if results:
        log.info("expired orders: %s", dict(results))
    return dict(results)


def reconcile(deps: Deps) -> dict[str, int]:
    """Query every order open for over 5 minutes and settle those paid without a notify; counts per trade state."""
    results = each_order(deps, sync, _open_orders(deps, RECONCILE_AFTER))
    log.info("reconciled orders: %s", dict(results))
    return dict(results)
