"""Answer questions from the FAQ knowledge base, or ask which question was meant."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.replies import Reply
from handlers.common import numbered, understand

CLARIFY_HEAD = "你是不是想问："
CLARIFY_TAIL = "回复数字查看答案。"


def answer_text(deps: Deps, faq_id: str) -> str:
    """The entry's answer with each line trimmed."""
    return deps.knowledge.engine.kb.faqs[faq_id].reply_text


def answer(deps: Deps, faq_id: str) -> Reply:
    """The FAQ answer reply."""
    return Reply.of_text(answer_text(deps, faq_id), kind="faq", faq_id=faq_id)


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
        return answer(deps, reading.faq_id)
    return clarify(deps, message.source, list(reading.candidates))
