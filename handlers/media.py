"""Images, video, locations and links: a polite note on what the account can do."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.replies import Reply


def media_reply(deps: Deps) -> Reply:
    """The account's reply to non-text messages."""
    return Reply.of_text(deps.knowledge.engine.kb.account.media_reply, kind="media")


def on_media(deps: Deps, message: Any, _match: Any) -> Reply:
    """Chat adapter."""
    return media_reply(deps)
