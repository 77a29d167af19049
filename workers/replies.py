"""Late replies: answers that missed the 5-second window, sent as customer-service messages."""

from __future__ import annotations

from bot import metrics
from bot.outbox import send_reply
from bot.replies import Reply
from workers import deps


def deliver_reply(openid: str, reply_json: str) -> None:
    """Send a stored reply to the subscriber; errors propagate so RQ retries or records them."""
    send_reply(deps().wechat, openid, Reply.from_json(reply_json))
    metrics.JOBS.labels("deliver_reply", "ok").inc()
