"""The catch-all: say politely that this is outside what the account can answer."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.replies import Reply
from handlers import gaps
from handlers.common import text_of


def fallback(deps: Deps) -> Reply:
    """The account's fallback text."""
    return Reply.of_text(deps.knowledge.engine.kb.account.fallback, kind="fallback")


def always(deps: Deps, message: Any) -> bool:
    """Matcher that accepts everything."""
    return True


def on_message(deps: Deps, message: Any, _match: Any) -> Reply:
    """Chat adapter; a message with words in it is kept as a gap of the knowledge base."""
    gaps.record(deps, message.source, text_of(message), "fallback")
    return fallback(deps)
