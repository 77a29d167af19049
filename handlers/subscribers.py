"""Subscribers from the platform: page through user/get, fill details with batched user/info, mark who left."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from wechatpy.exceptions import WeChatClientException

from bot.deps import Deps
from bot.errors import from_wechat
from bot.models import Subscriber, utcnow

log = logging.getLogger(__name__)
INFO_BATCH = 100
THREADS = 4
ATTEMPTS = 4
SYNCED = ("subscribed", "subscribed_at", "tags", "language", "scene", "synced_at", "updated_at")


@dataclass(frozen=True)
class SyncResult:
    """What one `users sync` saw and changed."""

    followers: int
    pages: int
    left: int

    def as_dict(self) -> dict[str, int]:
        """The result as JSON-ready numbers."""
        return asdict(self)


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return fn(*args)
        except WeChatClientException as exc:
            if exc.errcode not in (None, -1) or attempt == ATTEMPTS:
                raise from_wechat(exc) from None
            time.sleep(0.2 * 2**attempt)
    return None


def _row(info: dict[str, Any], now: datetime) -> dict[str, Any]:
    subscribed = info.get("subscribe") == 1
    stamp = info.get("subscribe_time")
    return {
        "openid": info["openid"],
        "subscribed": subscribed,
        "subscribed_at": datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None) if stamp else None,
        "tags": [int(t) for t in info.get("tagid_list") or []],
        "language": info.get("language"),
        "scene": (info.get("qr_scene_str") or info.get("subscribe_scene") or None) if subscribed else None,
        "synced_at": now,
        "updated_at": now,
    }


def _upsert(deps: Deps, rows: list[dict[str, Any]]) -> None:
    insert = pg_insert if deps.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(Subscriber)
    statement = statement.on_conflict_do_update(
        index_elements=["openid"], set_={name: statement.excluded[name] for name in SYNCED}
    )
    with deps.sessions.begin() as session:
        session.execute(statement, rows)


def _mark_left(deps: Deps, started: datetime) -> int:
    """Subscribed locally but absent from the platform's list (and not re-subscribed during the run)."""
    now = utcnow()
    with deps.sessions.begin() as session:
        result = session.execute(
            update(Subscriber)
            .where(
                Subscriber.subscribed.is_(True),
                or_(Subscriber.synced_at.is_(None), Subscriber.synced_at < started),
                or_(Subscriber.subscribed_at.is_(None), Subscriber.subscribed_at < started),
            )
            .values(subscribed=False, unsubscribed_at=now, updated_at=now)
        )
        return int(result.rowcount or 0)


def sync(deps: Deps, progress: Callable[[int, int], None] | None = None) -> SyncResult:
    """Bring the subscribers table in line with the platform: 10,000 openids per page, details 100 at a time."""
    started = utcnow()
    next_openid: str | None = None
    seen = pages = 0
    with ThreadPoolExecutor(THREADS, thread_name_prefix="users-sync") as pool:
        while True:
            page = _call(deps.wechat.user.get_followers, next_openid)
            openids = (page.get("data") or {}).get("openid") or []
            if not openids:
                break
            batches = [openids[i:i + INFO_BATCH] for i in range(0, len(openids), INFO_BATCH)]
            now = utcnow()
            rows = [_row(info, now) for infos in pool.map(lambda b: _call(deps.wechat.user.get_batch, b), batches)
                    for info in infos]
            _upsert(deps, rows)
            seen, pages = seen + len(openids), pages + 1
            if progress is not None:
                progress(seen, int(page.get("total") or seen))
            next_openid = page.get("next_openid")
            if not next_openid:
                break
    left = _mark_left(deps, started)
    log.info("users sync: %d followers in %d pages, %d marked as left", seen, pages, left)
    return SyncResult(followers=seen, pages=pages, left=left)
