"""Telling a buyer their purchase went through, with a link to the full text (once per order)."""

from __future__ import annotations

import logging

from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from bot.deps import Deps
from bot.logs import hash_openid
from bot.models import Order
from bot.outbox import send_reply
from bot.replies import Reply
from handlers.common import item_url, price_text

log = logging.getLogger(__name__)
SENT_TTL = 30 * 24 * 3600
TEMPLATE_VALUE_MAX = 20
NOT_SUBSCRIBED = 43004


def _fit(value: str) -> str:
    """A template value within the platform's 20-character limit."""
    return value if len(value) <= TEMPLATE_VALUE_MAX else value[:TEMPLATE_VALUE_MAX - 1] + "…"


def tell_buyer(deps: Deps, out_trade_no: str) -> str:
    """Send the "purchase success" template message when the account has one, else a customer-service text."""
    with deps.sessions() as session:
        order = session.scalars(select(Order).where(Order.out_trade_no == out_trade_no)).one_or_none()
    if order is None or order.state != "PAID":
        return "skipped"
    sent_key = f"{deps.prefix}sales:told:{out_trade_no}"
    if deps.redis.exists(sent_key):
        return "skipped"
    kb = deps.knowledge.engine.kb
    item = kb.items.get(order.item_id)
    title = item.title if item else order.item_id
    template_id = (kb.account.templates or {}).get("purchase")
    try:
        how = _send(deps, order, title, item_url(deps, order.item_id, order.openid), template_id)
    except WeChatClientException as exc:
        if exc.errcode != NOT_SUBSCRIBED:
            raise
        log.info("order %s: buyer %s has unsubscribed, not told", out_trade_no, hash_openid(order.openid))
        return "unsubscribed"
    deps.redis.set(sent_key, how, ex=SENT_TTL)
    log.info("order %s: buyer %s told by %s", out_trade_no, hash_openid(order.openid), how)
    return how


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
    text = f"购买成功！《{title}》{price_text(order.amount_fen)} 已解锁。\n<a href=\"{url}\">点此阅读全文</a>"
    send_reply(deps.wechat, order.openid, Reply.of_text(text))
    return "text"
