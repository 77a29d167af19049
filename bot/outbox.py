"""Customer-service messages: a Reply delivered outside the passive-reply window."""

from __future__ import annotations

import logging

from bot.logs import hash_openid
from bot.replies import Reply
from bot.wechat import WeChatClient

log = logging.getLogger(__name__)


def send_reply(client: WeChatClient, openid: str, reply: Reply) -> None:
    """Send a text or news reply as a customer-service message (raises WeChatClientException)."""
    if reply.kind == "text":
        client.message.send_text(openid, reply.text)
    elif reply.kind == "news":
        client.message.send_articles(
            openid,
            [{"title": a.title, "description": a.description, "url": a.url, "image": a.picurl}
             for a in reply.articles[:1]],
        )
    else:
        return
    log.info("customer-service message sent to %s kind=%s", hash_openid(openid), reply.kind)
