"""What subscribers asked, opened and bought: recorded as signals, read back for personalisation."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

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
    """This subscriber's recent signals as (kind, item_id, tags, unix time), newest first."""
    try:
        with deps.sessions() as session:
            rows = session.execute(
                select(Signal.kind, Signal.item_id, Signal.tags, Signal.created_at)
                .where(Signal.openid == openid, Signal.created_at >= utcnow() - HORIZON)
                .order_by(Signal.created_at.desc())
                .limit(500)
            ).all()
    except SQLAlchemyError:
        return []
    return [(kind, item, list(tags or []), _unix(at)) for kind, item, tags, at in rows]


def interactions(deps: Deps) -> list[tuple[str, str, str, float]]:
    """Every recent (openid, item_id, kind, unix time) of opened and bought items, for CF and popularity."""
    try:
        with deps.sessions() as session:
            rows = session.execute(
                select(Signal.openid, Signal.item_id, Signal.kind, Signal.created_at).where(
                    Signal.item_id.is_not(None),
                    Signal.kind.in_(("opened", "bought")),
                    Signal.created_at >= utcnow() - HORIZON,
                )
            ).all()
    except SQLAlchemyError:
        return []
    return [(openid, item, kind, _unix(at)) for openid, item, kind, at in rows if item]


def _unix(naive_utc: datetime) -> float:
    return naive_utc.replace(tzinfo=UTC).timestamp()
