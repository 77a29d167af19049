"""Follow, unfollow, QR scans and the platform's job-finished notices."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.deps import Deps
from bot.logs import hash_openid
from bot.models import Subscriber, utcnow
from bot.replies import Reply
from handlers import broadcasts

log = logging.getLogger(__name__)


def set_subscribed(deps: Deps, openid: str, subscribed: bool, scene: str | None = None) -> None:
    """Insert or update the subscriber row."""
    for _ in range(2):
        try:
            with deps.sessions.begin() as session:
                row = session.get(Subscriber, openid)
                if row is None:
                    row = Subscriber(openid=openid)
                    session.add(row)
                row.subscribed = subscribed
                if subscribed:
                    row.subscribed_at = utcnow()
                    row.scene = scene or row.scene
                else:
                    row.unsubscribed_at = utcnow()
            return
        except IntegrityError:
            continue
        except SQLAlchemyError:
            log.warning("subscriber %s not recorded: database unavailable", hash_openid(openid))
            return


def on_subscribe(deps: Deps, message: Any, _match: Any) -> Reply:
    """A new follower (possibly from a parametric QR code): record and welcome."""
    key = message.key or ""
    scene = key[len("qrscene_"):] if key.startswith("qrscene_") else None
    set_subscribed(deps, message.source, True, scene)
    log.info("subscribe %s scene=%s", hash_openid(message.source), scene or "-")
    return Reply.of_text(deps.knowledge.engine.kb.account.welcome, kind="welcome")


def on_unsubscribe(deps: Deps, message: Any, _match: Any) -> Reply:
    """A follower left: keep the row, mark it."""
    set_subscribed(deps, message.source, False)
    log.info("unsubscribe %s", hash_openid(message.source))
    return Reply.success(kind="unsubscribe")


def on_scan(deps: Deps, message: Any, _match: Any) -> Reply:
    """An existing follower scanned a parametric QR code."""
    set_subscribed(deps, message.source, True, message.key or None)
    return Reply.of_text(deps.knowledge.engine.kb.account.welcome, kind="welcome")


def on_view(deps: Deps, message: Any, _match: Any) -> Reply:
    """A menu link was opened; nothing to say."""
    return Reply.success(kind="view")


def on_job_finished(deps: Deps, message: Any, _match: Any) -> Reply:
    """TEMPLATESENDJOBFINISH / MASSSENDJOBFINISH: acknowledge (broadcast status is updated by its module)."""
    log.info("%s msgid=%s status=%s", message.type, message.__dict__.get("MsgID"), message.__dict__.get("Status"))
    broadcasts.job_finished(deps, message.__dict__)
    return Reply.success(kind="job_finished")
