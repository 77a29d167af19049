"""A number sent after a numbered list picks that entry (an FAQ answer or an item's buy link). 「不对」 after an
answer offers the entries that came next for the same message; "none of these" after a list, or with nothing
to dispute, gets the fallback. A disputed answer is kept for admins."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.deps import Deps
from bot.replies import Reply
from handlers import fallback, faq, gaps, purchase
from handlers.common import text_of
from index.normalize import wording_key

# 「2」, 「第二个」, 「选2」, 「要第3篇」, 「2吧」 (「①」 and 「２」 arrive as 1 and 2 after NFKC); a Chinese numeral
# only after 第, since 「要一个」 asks for one of something
NUMBER = re.compile(r"^(?:我)?(?:选|要|看)?(?:第\s*([1-9一二三四五六七八九])|([1-9]))\s*(?:个|条|号|篇|门|项|题)?"
                    r"\s*(?:吧|呀|啊|哈|哦|嗯)?\s*[.。!！~～]?$")
DIGITS = {**{str(n): n for n in range(1, 10)}, **{c: n for n, c in enumerate("一二三四五六七八九", start=1)}}
NOT_IT_HEAD = "抱歉，刚才没答对。你是不是想问："
ALTERNATIVES = 2        # entries offered after a disputed answer: the clarifying list's three, less the answer
NONE_OF_THESE = re.compile(r"^(?:(?:以上|上面)?(?:都|全都|全)?(?:不是|不对)(?:我(?:要|想)(?:问|找)?的)?"
                           r"(?:的|这些|这个|呢|哦|啊|呀)*|没有我?(?:要|想)(?:问|找)?的)$")


def picked(deps: Deps, message: Any) -> tuple[str, str] | None:
    """Matcher: (kind, id) when the text is a number within the last list offered."""
    text = unicodedata.normalize("NFKC", text_of(message)).strip()
    found = NUMBER.match(text)
    if not found:
        return None
    offered = deps.chat.offered(message.source)
    if not offered:
        return None
    index = DIGITS[found.group(1) or found.group(2)] - 1
    ids = offered.get("ids", [])
    if index >= len(ids):
        return None
    return str(offered.get("kind")), str(ids[index])


def on_text(deps: Deps, message: Any, choice: tuple[str, str]) -> Reply | None:
    """Chat adapter."""
    kind, entry = choice
    engine = deps.knowledge.engine
    if kind == "faq" and entry in engine.kb.faqs:
        deps.chat.answered(message.source, entry, pick=gaps.resolve(deps, message.source, entry))
        return faq.answer(deps, entry)
    if kind == "items" and entry in engine.kb.items:
        return purchase.offer(deps, message.source, entry)
    return None


def declined(deps: Deps, message: Any) -> bool:
    """Matcher: "none of these" or "not it" (「都不是」, 「不对」, 「不是我想问的」): a reply to a list or an answer."""
    return bool(NONE_OF_THESE.match(wording_key(text_of(message))))


def on_declined(deps: Deps, message: Any, _match: Any) -> Reply:
    """Chat adapter: forget any list offered. When an FAQ answer came after any list, that answer is disputed:
    the message it answered is kept as such and the entries that ranked next for it are offered as a numbered
    list (a pick from it becomes a phrasing to add to that entry), or, for an entry picked from a list, the pick
    is withdrawn (the message is unanswered again, not a phrasing to add). Otherwise, and when nothing else
    ranked for the message, the fallback text (how to ask again, or reach a person); the message that led to a
    clarifying list stays in the gaps report as unanswered."""
    openid = message.source
    listed, answered = deps.chat.offered(openid), deps.chat.last_answer(openid)
    deps.chat.forget(openid)
    if answered and answered.get("at", 0) > (listed or {}).get("at", 0):
        if answered.get("pick"):
            gaps.withdraw(deps, answered["pick"])
        elif answered.get("text"):
            others = alternatives(deps, answered["text"], answered["faq_id"])
            gaps.record(deps, openid, answered["text"], "disputed", candidates=[answered["faq_id"], *others])
            if others:
                return faq.clarify(deps, openid, others, head=NOT_IT_HEAD, kind="not_it")
    return fallback.fallback(deps)


def alternatives(deps: Deps, text: str, answered: str) -> list[str]:
    """The entries that ranked next after `answered` for the message `text`, best first."""
    reading = deps.knowledge.engine.understand(text)
    return [c for c in reading.candidates if c != answered][:ALTERNATIVES]
