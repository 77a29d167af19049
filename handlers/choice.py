"""A number sent after a numbered list picks that entry: an FAQ answer or an item's buy link."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.deps import Deps
from bot.replies import Reply
from handlers import faq, gaps, purchase
from handlers.common import text_of

NUMBER = re.compile(r"^(?:第)?\s*([1-9])\s*(?:个|条|号|篇|门)?\s*[.。!！]?$")


def picked(deps: Deps, message: Any) -> tuple[str, str] | None:
    """Matcher: (kind, id) when the text is a number within the last list offered."""
    text = unicodedata.normalize("NFKC", text_of(message)).strip()
    found = NUMBER.match(text)
    if not found:
        return None
    offered = deps.chat.offered(message.source)
    if not offered:
        return None
    index = int(found.group(1)) - 1
    ids = offered.get("ids", [])
    if index >= len(ids):
        return None
    return str(offered.get("kind")), str(ids[index])


def on_text(deps: Deps, message: Any, choice: tuple[str, str]) -> Reply | None:
    """Chat adapter."""
    kind, entry = choice
    engine = deps.knowledge.engine
    if kind == "faq" and entry in engine.kb.faqs:
        gaps.resolve(deps, message.source, entry)
        return faq.answer(deps, entry)
    if kind == "items" and entry in engine.kb.items:
        return purchase.offer(deps, message.source, entry)
    return None
