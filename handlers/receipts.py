"""Telling a buyer their purchase went through, with a link to the full text (once per order)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from wechatpy.exceptions import WeChatClientException

from bot.deps import Deps
from bot.errors import ServiceError
from bot.logs import hash_openid
from bot.models import Order, utcnow
from bot.outbox import send_reply
from bot.replies import Reply
from handlers import reconcile
from handlers.common import item_url, link, price_text

log = logging.getLogger(__name__)
SENDING = "sending"                    # the notice is being sent right now
SENDING_STALE = timedelta(minutes=10)  # a claim this old belongs to a sender that died
UNTOLD_AFTER = timedelta(minutes=2)    # the notice job normally runs within seconds of the grant
UNTOLD_WITHIN = timedelta(days=3)      # after that a purchase notice is stale; the buyer has found the item
TEMPLATE_VALUE_MAX = 20
NOT_SUBSCRIBED = 43004


def _fit(value: str) -> str:
    """A template value within the platform's 20-character limit."""
    return value if len(value) <= TEMPLATE_VALUE_MAX else value[:TEMPLATE_VALUE_MAX - 1] + "…"


def _open_notice(now: datetime) -> ColumnElement[bool]:
    """No notice yet, or one claimed by a sender that died before finishing."""
    return or_(Order.notice.is_(None), and_(Order.notice == SENDING, Order.noticed_at < now - SENDING_STALE))


def _set_notice(deps: Deps, out_trade_no: str, how: str | None, *, claim: bool = False) -> bool:
    now = utcnow()
    query = update(Order).where(Order.out_trade_no == out_trade_no)
    if claim:
        query = query.where(Order.state == "PAID", _open_notice(now))
    with deps.sessions.begin() as session:
        changed = session.execute(query.values(notice=how, noticed_at=now).returning(Order.out_trade_no)).first()
    return changed is not None


def tell_buyer(deps: Deps, out_trade_no: str) -> str:
    """Send the "purchase success" template message when the account has one, else a customer-service text;
    once per order: the order is claimed before sending and keeps how its buyer was told."""
    with deps.sessions() as session:
        order = session.scalars(select(Order).where(Order.out_trade_no == out_trade_no)).one_or_none()
    if order is None:
        return "skipped"
    kb = deps.knowledge.engine.kb
    item = kb.items.get(order.item_id)
    title = item.title if item else order.item_id
    template_id = (kb.account.templates or {}).get("purchase")
    if not _set_notice(deps, out_trade_no, SENDING, claim=True):
        return "skipped"
    try:
        how = _send(deps, order, title, item_url(deps, order.item_id, order.openid), template_id)
    except WeChatClientException as exc:
        if exc.errcode != NOT_SUBSCRIBED:
            _set_notice(deps, out_trade_no, None)
            raise
        log.info("order %s: buyer %s has unsubscribed, not told", out_trade_no, hash_openid(order.openid))
        how = "unsubscribed"
    except Exception:
        _set_notice(deps, out_trade_no, None)
        raise
    else:
        log.info("order %s: buyer %s told by %s", out_trade_no, hash_openid(order.openid), how)
    _set_notice(deps, out_trade_no, how)
    return how


def untold(deps: Deps) -> list[str]:
    """Paid orders whose buyer was never told (the notice job was lost, e.g. Redis was down at the grant)."""
    now = utcnow()
    with deps.sessions() as session:
        return list(session.scalars(
            select(Order.out_trade_no)
            .where(Order.state == "PAID", _open_notice(now), Order.needs_refund.is_(False),
                   Order.paid_at < now - UNTOLD_AFTER, Order.paid_at > now - UNTOLD_WITHIN)
            .order_by(Order.paid_at)
        ))


def tell_untold(deps: Deps) -> dict[str, int]:
    """Tell every buyer the notice job missed; counts per result (errors are retried at the next sweep)."""
    results = reconcile.each_order(deps, tell_buyer, untold(deps), errors=(WeChatClientException, ServiceError))
    if results:
        log.info("late purchase notices: %s", dict(results))
    return dict(results)


def _send(deps: Deps, order: Order, title: str, url: str, template_id: str | None) -> str:
    if template_id:
        data = {
            "first": {"value": "购买成功，全文已为你解锁"},
            "keyword1": {"value": _fit(title)},
            "keyword2": {"value": price_text(order.amount_fen)},
            "keyword3": {"value": (order.paid_at or order.created_at).strftime("%Y-%m-%d %H:%M")},
            "remark": {"value": "点击阅读全文"},
        }
        deps.wechat.template.send(order.openid, template_id, data, url=url,
                                  client_msg_id=f"paid:{order.out_trade_no}")
        return "template"
    text = f"购买成功！《{title}》{price_text(order.amount_fen)} 已解锁。\n{link(url, '点此阅读全文')}"
    send_reply(deps.wechat, order.openid, Reply.of_text(text))
    return "text"
