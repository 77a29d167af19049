"""Template messages with the platform's client_msg_id idempotency key."""

from __future__ import annotations

from typing import Any

from wechatpy.client.api.base import BaseWeChatAPI


class TemplateMessageAPI(BaseWeChatAPI):
    """`/cgi-bin/message/template/send` with `client_msg_id`."""

    def send(
        self,
        openid: str,
        template_id: str,
        data: dict[str, Any],
        url: str | None = None,
        client_msg_id: str | None = None,
    ) -> dict[str, Any]:
        """Send one template message; the platform delivers one per (openid, client_msg_id) in 10 minutes."""
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url:
            body["url"] = url
        if client_msg_id:
            body["client_msg_id"] = client_msg_id
        return self._post("message/template/send", data=body)
