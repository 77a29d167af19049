"""Menu clicks: keys that name an FAQ entry answer it; RECOMMEND is handled by recommendations."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.replies import Reply
from handlers import faq

RECOMMEND_KEY = "RECOMMEND"


def is_recommend(deps: Deps, message: Any) -> bool:
    """Matcher: the RECOMMEND menu button."""
    return (message.key or "").upper() == RECOMMEND_KEY


def faq_key(deps: Deps, message: Any) -> str | None:
    """Matcher: a click whose key is an FAQ id (case-insensitive)."""
    key = (message.key or "").lower()
    return key if key in deps.knowledge.engine.kb.faqs else None


def on_faq_click(deps: Deps, message: Any, faq_id: str) -> Reply:
    """Chat adapter."""
    return faq.answer(deps, faq_id)
