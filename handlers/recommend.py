"""Recommend paid articles and courses: topical search blended with the subscriber's profile."""

from __future__ import annotations

import time
from typing import Any

from bot.deps import Deps
from bot.replies import Reply
from handlers import gaps, signals
from handlers.common import item_url, link, numbered, price_text, text_of, understand
from index import personalize

LIMIT = 5
HEAD = "为你推荐："
TAIL = "回复数字查看详情。"


def ranked(deps: Deps, openid: str, candidates: list[tuple[str, float]], topic: str) -> list[str]:
    """Item ids best first: query relevance blended with profile, co-views/purchases and popularity; owned out."""
    kb = deps.knowledge.engine.kb
    item_tags = {item_id: item.tags for item_id, item in kb.items.items()}
    now = time.time()
    events = [
        (kind, tags or item_tags.get(item or "", []), at) for kind, item, tags, at in signals.history(deps, openid)
    ]
    rows = signals.interactions(deps)
    mine = {item: personalize.INTERACTION_WEIGHTS.get(kind, 0.0) for user, item, kind, _ in rows if user == openid}
    scored = personalize.blend(
        candidates if topic else None,
        kb.items,
        profile_affinity=personalize.affinity(personalize.tag_profile(events, now), item_tags),
        cf=personalize.cf_scores(personalize.item_similarity((u, i, k) for u, i, k, _ in rows), mine),
        popular=personalize.popularity(((i, k, at) for _, i, k, at in rows), now),
        bought=signals.bought_items(deps, openid),
        k=LIMIT,
    )
    return [item_id for item_id, _ in scored if item_id in kb.items]


def no_content(deps: Deps) -> Reply:
    """An honest "nothing on that yet", followed by the account's fallback text (no links)."""
    account = deps.knowledge.engine.kb.account
    return Reply.of_text(f"{account.no_content}\n{account.fallback}", kind="no_content", item_ids=[])


def recommend(deps: Deps, openid: str, candidates: list[tuple[str, float]], topic: str) -> Reply:
    """Up to five numbered item links, or an honest "no such content yet"."""
    kb = deps.knowledge.engine.kb
    ids = ranked(deps, openid, candidates, topic) if candidates or not topic else []
    if not ids:
        return no_content(deps)
    deps.chat.offer(openid, "items", ids)
    lines = [
        f"{link(item_url(deps, i, openid), kb.items[i].title)} {price_text(kb.items[i].price_fen)}"
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
    """Chat adapter for a text request; one the catalogue has nothing for is kept as a gap."""
    reply = recommend(deps, message.source, list(reading.items), reading.topic)
    if reply.meta.get("kind") == "no_content" and reading.topic:
        gaps.record(deps, message.source, text_of(message), "no_content", topic=reading.topic)
    return reply


def on_menu(deps: Deps, message: Any, _match: Any) -> Reply:
    """Chat adapter for the RECOMMEND menu click: the profile alone decides."""
    return recommend(deps, message.source, [], "")
