"""Buying from chat: "买 <title>", "购买 …" or a number after a list answers with the item's link."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.replies import Reply
from handlers.common import item_url, link, price_text, understand
from handlers.signals import bought_items


def offer(deps: Deps, openid: str, item_id: str) -> Reply:
    """The buy link for an item, or "已购" with the reading link when it is owned."""
    item = deps.knowledge.engine.kb.items[item_id]
    url = item_url(deps, item_id, openid)
    if item_id in bought_items(deps, openid):
        text = f"你已购《{item.title}》，可以直接阅读：\n{link(url, item.title)}"
        return Reply.of_text(text, kind="owned", item_ids=[item_id])
    text = f"《{item.title}》{price_text(item.price_fen)}\n{item.summary}\n{link(url, '点此查看并购买')}"
    return Reply.of_text(text, kind="buy", item_ids=[item_id])


def matches(deps: Deps, message: Any) -> Any:
    """Matcher: the subscriber asked to buy something the catalogue has."""
    reading = understand(deps, message)
    return reading if reading.kind == "buy" and reading.items else None


def on_text(deps: Deps, message: Any, reading: Any) -> Reply:
    """Chat adapter."""
    return offer(deps, message.source, reading.items[0][0])
