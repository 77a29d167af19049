"""The sales ledger: settle a paid transaction exactly once (order PAID, item granted) and log every notify."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis import RedisError
from rq import Retry
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.logs import hash_openid
from bot.models import Entitlement, Order, PaymentEvent, utcnow
from handlers import signals

log = logging.getLogger(__name__)
# Outcomes WeChat Pay is told were handled (2xx): retrying them would change nothing.
HANDLED = frozenset({"granted", "duplicate", "late", "owned", "not_paid"})
REFUNDED = ("late", "owned")         # paid, but nothing was granted for it: the money goes back
MAX_STORED_BODY = 65536


@dataclass(frozen=True)
class Settlement:
    """What settling one transaction did."""

    outcome: str
    out_trade_no: str | None = None
    openid: str | None = None
    item_id: str | None = None

    @property
    def handled(self) -> bool:
        """True when the transaction needs no retry from WeChat Pay."""
        return self.outcome in HANDLED

    @property
    def granted(self) -> bool:
        """True when this call granted the item."""
        return self.outcome == "granted"


def _total(transaction: Mapping[str, Any]) -> int | None:
    amount = transaction.get("amount")
    total = amount.get("total") if isinstance(amount, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def _grant(session: Session, openid: str, item_id: str, out_trade_no: str) -> bool:
    """Insert the entitlement unless it exists; the unique (openid, item) constraint is the last guard."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Entitlement).values(openid=openid, item_id=item_id, out_trade_no=out_trade_no,
                                           granted_at=utcnow())
    statement = statement.on_conflict_do_nothing(index_elements=["openid", "item_id"]).returning(Entitlement.id)
    return session.execute(statement).first() is not None


def settle(deps: Deps, transaction: Mapping[str, Any]) -> Settlement:
    """Check a transaction against its order and, under a row lock, mark it PAID and grant the item once.

    A SUCCESS for an order already CLOSED (paid after we closed it, which WeChat Pay does not allow, so the
    money must go back) is kept on the order with its transaction id and flagged needs_refund; nothing is granted.
    """
    no = transaction.get("out_trade_no")
    if not isinstance(no, str) or not no:
        return Settlement("unknown_order")
    pay = deps.settings.pay
    if pay is None or transaction.get("mchid") != pay.mch_id or transaction.get("appid") != deps.settings.app_id:
        return Settlement("wrong_merchant", no)
    total = _total(transaction)
    transaction_id = str(transaction.get("transaction_id") or "")[:64] or None
    with deps.sessions.begin() as session:
        order = session.scalars(select(Order).where(Order.out_trade_no == no).with_for_update()).one_or_none()
        if order is None:
            return Settlement("unknown_order", no)
        mine = {"out_trade_no": no, "openid": order.openid, "item_id": order.item_id}
        if total != order.amount_fen:
            return Settlement("wrong_amount", **mine)
        if transaction.get("trade_state") != "SUCCESS":
            return Settlement("not_paid", **mine)
        paid = session.execute(
            update(Order).where(Order.out_trade_no == no, Order.state == "CREATED")
            .values(state="PAID", transaction_id=transaction_id, paid_at=utcnow()).returning(Order.out_trade_no)
        ).first()
        if paid is not None:
            if _grant(session, order.openid, order.item_id, no):
                return Settlement("granted", **mine)
            session.execute(update(Order).where(Order.out_trade_no == no).values(needs_refund=True))
            return Settlement("owned", **mine)
        state = session.scalar(select(Order.state).where(Order.out_trade_no == no))
        if state == "CLOSED":
            session.execute(
                update(Order).where(Order.out_trade_no == no, Order.state == "CLOSED")
                .values(needs_refund=True, transaction_id=transaction_id, paid_at=utcnow())
            )
            return Settlement("late", **mine)
        return Settlement("duplicate", **mine)


def after(deps: Deps, settlement: Settlement) -> None:
    """Follow-ups of a settlement: log it; after a grant record the purchase and queue the buyer's notice; after a
    payment that bought nothing (late, or for an item already owned) queue its refund."""
    log.info("order %s settled: %s buyer=%s item=%s", settlement.out_trade_no, settlement.outcome,
             hash_openid(settlement.openid), settlement.item_id)
    if settlement.outcome in REFUNDED:
        try:
            deps.queue.enqueue("workers.sales.refund_order", settlement.out_trade_no,
                               job_id=f"refund-{settlement.out_trade_no}", retry=Retry(max=5, interval=[10, 60, 300]))
        except RedisError:
            log.error("order %s: refund not queued, Redis unavailable (the refund sweep will)", settlement.out_trade_no)
        return
    if not settlement.granted or settlement.openid is None or settlement.item_id is None:
        return
    item = deps.knowledge.engine.kb.items.get(settlement.item_id)
    signals.record(deps, settlement.openid, "bought", settlement.item_id, item.tags if item else ())
    try:
        deps.queue.enqueue("workers.sales.notify_buyer", settlement.out_trade_no,
                           job_id=f"paid-{settlement.out_trade_no}", retry=Retry(max=3, interval=[5, 30, 120]))
    except RedisError:
        log.error("order %s: buyer notice not queued, Redis unavailable", settlement.out_trade_no)


def record_event(deps: Deps, *, out_trade_no: str | None, verified: bool, outcome: str, detail: str | None,
                 headers: Mapping[str, str], body: str) -> None:
    """Append one received notify to payment_events (its own transaction, whatever happened to the order)."""
    with deps.sessions.begin() as session:
        session.add(PaymentEvent(out_trade_no=(out_trade_no or None) and out_trade_no[:32], verified=verified,
                                 outcome=outcome[:32], detail=detail, headers=dict(headers),
                                 body=body[:MAX_STORED_BODY]))
