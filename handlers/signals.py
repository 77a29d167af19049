"""What subscribers asked, opened and bought: recorded as signals, read back for personalisation."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot.deps import Deps
from bot.models import Entitlement, Signal, utcnow

log = logging.getLogger(__name__)
HORIZON = timedelta(days=180)


def record(deps: Deps, openid: str, kind: str, item_id: str | None = None, tags: Iterable[str] = ()) -> None:
    """Store one signal; a database outage loses the signal, never the reply."""
    try:
        with deps.sessions.begin() as session:
            session.add(Signal(openid=openid, kind=kind, item_id=item_id, tags=list(tags)))
    except SQLAlchemyError:
        log.warning("signal not recorded: database unavailable")


def bought_items(deps: Deps, openid: str) -> set[str]:
    """Ids of the items this subscriber owns."""
    try:
        with deps.sessions() as session:
            rows = session.scalars(select(Entitlement.item_id).where(Entitlement.openid == openid))
            return set(rows)
    except SQLAlchemyError:
        log.warning("entitlements unavailable: database down")
        return set()


def history(deps: Deps, openid: str) -> list[tuple[str, str | None, list[str], float]]:
    """This subscriber's recent signals as (kind, item_id, tags, age in days)."""
    now = utcnow()
    try:
        with deps.sessions() as session:
            rows = session.execute(
                select(Signal.kind, Signal.item_id, Signal.tags, Signal.created_at)
                .where(Signal.openid == openid, Signal.created_at >= now - HORIZON)
                .order_by(Signal.created_at.desc())
                .limit(500)
            ).all()
    except SQLAlchemyError:
        return []
    return [(kind, item, list(tags or []), (now - at).total_seconds() / 86400) for kind, item, tags, at in rows]


def interactions(deps: Deps) -> list[tuple[str, str, str]]:
    """Every (openid, item_id, kind) of opened and bought items, for collaborative filtering."""
    since = utcnow() - HORIZON
    try:
        with deps.sessions() as session:
            rows = session.execute(
                select(Signal.openid, Signal.item_id, Signal.kind).where(
                    Signal.item_id.is_not(None), Signal.kind.in_(("opened", "bought")), Signal.created_at >= since
                )
            ).all()
    except SQLAlchemyError:
        return []
    return [(openid, item, kind) for openid, item, kind in rows if item]
