"""Promotions as one platform mass send by tag (or to all), made idempotent with a clientmsgid."""

from __future__ import annotations

import hashlib
import logging
import random
import time
from typing import Any

from sqlalchemy import update
from wechatpy.exceptions import WeChatClientException

from bot.deps import Deps
from bot.errors import from_wechat
from bot.models import Broadcast, utcnow
from handlers.broadcast_audience import tag_id

log = logging.getLogger(__name__)
ATTEMPTS = 6


def content(broadcast: Broadcast) -> tuple[str, dict[str, Any]]:
    """(msgtype, body) of the mass message."""
    if "media_id" in broadcast.data:
        return "mpnews", {"media_id": broadcast.data["media_id"]}
    return "text", {"content": broadcast.data["text"]}


def clientmsgid(broadcast: Broadcast) -> str:
    """The broadcast's idempotency key for the platform (at most 64 characters)."""
    seed = f"{broadcast.id}:{broadcast.created_at.isoformat()}"
    return f"bc{broadcast.id}-{hashlib.sha256(seed.encode()).hexdigest()[:24]}"


def send(deps: Deps, broadcast: Broadcast) -> dict[str, object]:
    """Submit the mass job, retrying transient failures with the same clientmsgid; record the platform msg_id."""
    tag = None if broadcast.audience.get("all") else tag_id(deps, broadcast.audience["tag"])
    msgtype, body = content(broadcast)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = deps.wechat.mass.send_all(tag, msgtype, body, clientmsgid(broadcast))
            break
        except WeChatClientException as exc:
            if exc.errcode not in (None, -1) or attempt == ATTEMPTS:
                _record(deps, broadcast.id, "failed", note=f"mass send refused: {exc.errcode} {exc.errmsg}")
                raise from_wechat(exc) from None
            time.sleep(min(10.0, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.5))
    msg_id = str(result.get("msg_id"))
    _record(deps, broadcast.id, "done", msg_id=msg_id, note="submitted to the platform; counts follow its report")
    log.info("broadcast %s mass job %s submitted", broadcast.id, msg_id)
    return {"msg_id": msg_id}


def _record(deps: Deps, broadcast_id: int, state: str, **values: Any) -> None:
    with deps.sessions.begin() as session:
        session.execute(
            update(Broadcast).where(Broadcast.id == broadcast_id)
            .values(state=state, started_at=utcnow(), finished_at=utcnow(), **values)
        )


def preview(deps: Deps, broadcast: Broadcast, openid: str) -> dict[str, Any]:
    """One copy to a test subscriber."""
    msgtype, body = content(broadcast)
    return deps.wechat.mass.preview(openid, msgtype, body)


def record_report(deps: Deps, msg_id: str, fields: dict[str, Any]) -> bool:
    """MASSSENDJOBFINISH: keep the platform's counts on the broadcast it belongs to."""
    report = {k: fields.get(k) for k in ("Status", "TotalCount", "FilterCount", "SentCount", "ErrorCount")}
    with deps.sessions.begin() as session:
        result = session.execute(update(Broadcast).where(Broadcast.msg_id == msg_id).values(report=report))
        return bool(result.rowcount)
