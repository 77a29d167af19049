"""Answer questions from the FAQ knowledge base, or ask which question was meant."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.replies import TEXT_MAX_BYTES, Reply
from handlers import gaps, signals
from handlers.common import item_url, link, numbered, price_text, text_of, understand

CLARIFY_HEAD = "你是不是想问："
CLARIFY_TAIL = "回复数字查看答案。"
RELATED = "相关内容："


def answer_text(deps: Deps, faq_id: str) -> str:
    """The entry's answer with each line trimmed."""
    return deps.knowledge.engine.kb.faqs[faq_id].reply_text


def answer(deps: Deps, faq_id: str, openid: str | None = None, related: list[str] | None = None) -> Reply:
    """The FAQ answer reply; when the message is also about content the catalogue has (a course it names, a
    topic the catalogue covers), one line after the answer links those items, best first, each with its
    price or marked 已购 when the subscriber owns it, as many as the platform's text limit leaves room for."""
    text = answer_text(deps, faq_id)
    kb = deps.knowledge.engine.kb
    ids = [i for i in related or [] if i in kb.items]
    if not (openid and ids):
        return Reply.of_text(text, kind="faq", faq_id=faq_id)
    owned = signals.bought_items(deps, openid)
    line, shown = RELATED, []
    for item_id in ids:
        item = kb.items[item_id]
        note = "（已购）" if item_id in owned else f" {price_text(item.price_fen)}"
        longer = f"{line}{'、' if shown else ''}{link(item_url(deps, item_id, openid), item.title)}{note}"
        if len(f"{text}\n{longer}".encode()) > TEXT_MAX_BYTES:
            break
        line, shown = longer, [*shown, item_id]
    if not shown:
        return Reply.of_text(text, kind="faq", faq_id=faq_id)
    signals.record(deps, openid, "asked", None, kb.items[shown[0]].tags)
    return Reply.of_text(f"{text}\n{line}", kind="faq", faq_id=faq_id, item_ids=shown)


def clarify(deps: Deps, openid: str, faq_ids: list[str], head: str = CLARIFY_HEAD, kind: str = "clarify") -> Reply:
    """Offer up to three candidate questions under `head` and remember them for a numbered reply (`kind`
    labels the reply in the metrics)."""
    faqs = deps.knowledge.engine.kb.faqs
    ids = [i for i in faq_ids if i in faqs][:3]
    deps.chat.offer(openid, "faq", ids)
    text = "\n".join([head, numbered([faqs[i].question for i in ids]), CLARIFY_TAIL])
    return Reply.of_text(text, kind=kind, candidates=ids)


def matches(deps: Deps, message: Any) -> Any:
    """Matcher: the index is confident about an entry or wants to clarify."""
    reading = understand(deps, message)
    return reading if reading.kind in ("faq", "clarify") else None


def on_text(deps: Deps, message: Any, reading: Any) -> Reply:
    """Chat adapter."""
    if reading.kind == "faq":
        deps.chat.answered(message.source, reading.faq_id, text_of(message))
        return answer(deps, reading.faq_id, message.source, [i for i, _ in reading.items])
    reply = clarify(deps, message.source, list(reading.candidates))
    gaps.record(deps, message.source, text_of(message), "clarify", candidates=reply.meta["candidates"])
    return reply
