"""Who a broadcast reaches: everyone, a platform tag, buyers of an item, interest in a KB tag, or listed openids."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException

from bot.deps import Deps
from bot.errors import Unprocessable, from_wechat
from bot.models import Entitlement, Signal, Subscriber, utcnow

KINDS = ("all", "tag", "bought", "interest", "openids")
INTEREST_HORIZON = timedelta(days=180)
MAX_OPENIDS = 100_000


def tag_id(deps: Deps, tag: object) -> int:
    """A platform tag id from an id or a tag name (looked up with /cgi-bin/tags/get)."""
    if isinstance(tag, int) or (isinstance(tag, str) and tag.isdigit()):
        return int(tag)
    try:
        tags = deps.wechat.tag.get()
    except WeChatClientException as exc:
        raise from_wechat(exc) from None
    for item in tags:
        if item.get("name") == tag:
            return int(item["id"])
    raise Unprocessable(f"audience.tag: no platform tag named {tag!r}")


def _unsubscribed(session: Session) -> set[str]:
    return set(session.scalars(select(Subscriber.openid).where(Subscriber.subscribed.is_(False))))


def _subscribers(session: Session, tag: int | None) -> Iterator[str]:
    query = select(Subscriber.openid, Subscriber.tags).where(Subscriber.subscribed.is_(True))
    for openid, tags in session.execute(query.execution_options(yield_per=5000)):
        if tag is None or tag in (tags or ()):
            yield openid


def _buyers(session: Session, item_id: str) -> Iterator[str]:
    gone = _unsubscribed(session)
    for openid in session.scalars(select(Entitlement.openid).where(Entitlement.item_id == item_id)):
        if openid not in gone:
            yield openid


def _interested(session: Session, kb_tag: str) -> Iterator[str]:
    gone = _unsubscribed(session)
    since = utcnow() - INTEREST_HORIZON
    query = select(Signal.openid, Signal.tags).where(Signal.created_at >= since)
    for openid, tags in session.execute(query.execution_options(yield_per=5000)):
        if kb_tag in (tags or ()) and openid not in gone:
            yield openid


def members(deps: Deps, session: Session, audience: dict[str, Any]) -> Iterator[str]:
    """Openids of the audience (may repeat; subscribers known to have left are left out, except listed ones)."""
    if audience.get("all"):
        return _subscribers(session, None)
    if "tag" in audience:
        return _subscribers(session, tag_id(deps, audience["tag"]))
    if "bought" in audience:
        return _buyers(session, str(audience["bought"]))
    if "interest" in audience:
        return _interested(session, str(audience["interest"]))
    return iter(audience.get("openids") or ())


def resolve(deps: Deps, audience: dict[str, Any]) -> list[str]:
    """The audience as a sorted list of distinct openids."""
    with deps.sessions() as session:
        return sorted(set(members(deps, session, audience)))


def is_empty(deps: Deps, audience: dict[str, Any]) -> bool:
    """True when the audience matches nobody right now (stops at the first member)."""
    with deps.sessions() as session:
        return next(members(deps, session, audience), None) is None
