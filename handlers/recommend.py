"""Recommend paid articles and courses: topical search blended with the subscriber's profile."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.replies import Reply
from handlers import signals
from handlers.common import item_url, numbered, price_text, understand

LIMIT = 5
HEAD = "为你推荐："
TAIL = "回复数字查看详情。"


def ranked(deps: Deps, openid: str, candidates: list[tuple[str, float]], topic: str) -> list[str]:
    """Item ids best first: query relevance blended with profile, co-purchases and popularity, owned items out."""
    from index.personalize import blend, item_similarity, popularity, profile_from_history

    kb = deps.knowledge.engine.kb
    owned = signals.bought_items(deps, openid)
    rows = signals.interactions(deps)
    profile = profile_from_history(signals.history(deps, openid), {i: item.tags for i, item in kb.items.items()})
    similar = item_similarity(rows)
    popular = popularity(rows)
    return blend(
        candidates=candidates if topic else [],
        items=list(kb.items),
        item_tags={i: item.tags for i, item in kb.items.items()},
        profile=profile,
        seen=[item for _, item, _ in rows if item],
        similarity=similar,
        user_items=[item for user, item, _ in rows if user == openid],
        popularity=popular,
        exclude=owned,
        limit=LIMIT,
    )


def recommend(deps: Deps, openid: str, candidates: list[tuple[str, float]], topic: str) -> Reply:
    """Up to five numbered item links, or an honest "no such content yet"."""
    kb = deps.knowledge.engine.kb
    if topic and not candidates:
        return Reply.of_text(kb.account.no_content, kind="no_content", item_ids=[])
    ids = ranked(deps, openid, candidates, topic)
    if not ids:
        return Reply.of_text(kb.account.no_content, kind="no_content", item_ids=[])
    deps.chat.offer(openid, "items", ids)
    lines = [
        f"<a href=\"{item_url(deps, i, openid)}\">{kb.items[i].title}</a> {price_text(kb.items[i].price_fen)}"
        for i in ids
    ]
    if topic:
        signals.record(deps, openid, "asked", None, kb.items[ids[0]].tags)
    return Reply.of_text("\n".join([HEAD, numbered(lines), TAIL]), kind="recommend", item_ids=ids)


def matches(deps: Deps, message: Any) -> Any:
    """Matcher: the subscriber wants content."""
    reading = understand(deps, message)
    return reading if reading.kind == "recommend" else None


def on_text(deps: Deps, message: Any, reading: Any) -> Reply:
    """Chat adapter for a text request."""
    return recommend(deps, message.source, list(reading.items), reading.topic)


def on_menu(deps: Deps, message: Any, _match: Any) -> Reply:
    """Chat adapter for the RECOMMEND menu click: the profile alone decides."""
    return recommend(deps, message.source, [], "")
