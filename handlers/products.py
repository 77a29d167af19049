"""Products mirror the knowledge base: one row per paid item, price in fen, inactive once removed."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.models import Product, utcnow

log = logging.getLogger(__name__)


def upsert(session: Session, items: Iterable[Any]) -> None:
    """Insert or refresh the product rows of these KB items (race-safe on SQLite and PostgreSQL)."""
    rows = [
        {"id": i.id, "kind": i.kind, "title": i.title[:256], "price_fen": i.price_fen, "active": True,
         "updated_at": utcnow()}
        for i in items
    ]
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Product).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[Product.id],
        set_={name: statement.excluded[name] for name in ("kind", "title", "price_fen", "active", "updated_at")},
    )
    session.execute(statement)


def mirror(deps: Deps, kb: Any) -> None:
    """Make the products table match the KB's items; a database outage is logged, never fatal to a reload."""
    items = list(kb.items.values())
    try:
        with deps.sessions.begin() as session:
            upsert(session, items)
            session.execute(
                update(Product).where(Product.id.not_in([i.id for i in items]), Product.active.is_(True))
                .values(active=False, updated_at=utcnow())
            )
    except SQLAlchemyError:
        log.warning("products not mirrored: database unavailable")
        return
    log.info("products mirrored: %d items", len(items))


def install(deps: Deps) -> None:
    """Mirror the KB now and after every successful reload."""
    deps.knowledge.on_reload(lambda kb: mirror(deps, kb))
    mirror(deps, deps.knowledge.engine.kb)
