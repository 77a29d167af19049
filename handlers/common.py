"""Helpers shared by the chat adapters: message text, cached understanding, links and item lists."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.deps import Deps

_CACHE_ATTR = "_kp_understanding"


def text_of(message: Any) -> str:
    """What the subscriber said: a text message's content or a voice message's recognition."""
    if message.type == "text":
        return (message.content or "").strip()
    if message.type == "voice":
        return (message.recognition or "").strip()
    return ""


def understand(deps: Deps, message: Any) -> Any:
    """The index's reading of the message text, computed once per message."""
    cached = message.__dict__.get(_CACHE_ATTR)
    if cached is None:
        cached = deps.knowledge.engine.understand(text_of(message))
        message.__dict__[_CACHE_ATTR] = cached
    return cached


def item_url(deps: Deps, item_id: str, openid: str | None) -> str:
    """The page link for an item, carrying a short-lived signed identity token when sent in chat."""
    base = f"{deps.settings.public_base_url}/articles/{quote(item_id)}"
    if not openid:
        return base
    return f"{base}?t={deps.identity.link_token(openid)}"


def link(url: str, text: str) -> str:
    """A link as chat text shows it (WeChat renders <a href> in text replies)."""
    return f'<a href="{url}">{text}</a>'


def price_text(price_fen: int) -> str:
    """CNY price as shown to subscribers."""
    return f"¥{price_fen // 100}.{price_fen % 100:02d}"


def numbered(lines: list[str]) -> str:
    """Lines numbered 1..n, one per line."""
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))
