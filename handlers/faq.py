"""Answer questions from the FAQ knowledge base, or ask which question was meant."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.replies import Reply
from handlers import signals
from handlers.common import item_url, link, numbered, price_text, understand

CLARIFY_HEAD = "你是不是想问："
CLARIFY_TAIL = "回复数字查看答案。"
RELATED = "相关内容："


def answer_text(deps: Deps, faq_id: str) -> str:
    """The entry's answer with each line trimmed."""
    return deps.knowledge.engine.kb.faqs[faq_id].reply_text


def answer(deps: Deps, faq_id: str, openid: str | None = None, related: list[str] | None = None) -> Reply:
    """The FAQ answer reply; when the message is also about an item (a course it names, a topic the
    catalogue covers), one line after the answer links that item, marked 已购 when the subscriber owns it."""
    text = answer_text(deps, faq_id)
    kb = deps.knowledge.engine.kb
    ids = [i for i in related or [] if i in kb.items][:1]
    if not (openid and ids):
        return Reply.of_text(text, kind="faq", faq_id=faq_id)
    item = kb.items[ids[0]]
    note = "（已购）" if ids[0] in signals.bought_items(deps, openid) else f" {price_text(item.price_fen)}"
    signals.record(deps, openid, "asked", None, item.tags)
    line = f"{RELATED}{link(item_url(deps, ids[0], openid), item.title)}{note}"
    return Reply.of_text(f"{text}\n{line}", kind="faq", faq_id=faq_id, item_ids=ids)


def clarify(deps: Deps, openid: str, faq_ids: list[str]) -> Reply:
    """Offer up to three candidate questions and remember them for a numbered reply."""
    faqs = deps.knowledge.engine.kb.faqs
    ids = [i for i in faq_ids if i in faqs][:3]
    deps.chat.offer(openid, "faq", ids)
    text = "\n".join([CLARIFY_HEAD, numbered([faqs[i].question for i in ids]), CLARIFY_TAIL])
    return Reply.of_text(text, kind="clarify", candidates=ids)


def matches(deps: Deps, message: Any) -> Any:
    """Matcher: the index is confident about an entry or wants to clarify."""
    reading = understand(deps, message)
    return reading if reading.kind in ("faq", "clarify") else None


def on_text(deps: Deps, message: Any, reading: Any) -> Reply:
    """Chat adapter."""
    if reading.kind == "faq":
        return answer(deps, reading.faq_id, message.source, [i for i, _ in reading.items])
    return clarify(deps, message.source, list(reading.candidates))
