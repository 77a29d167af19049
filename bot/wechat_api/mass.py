"""Mass messages to everyone or one tag, with the platform's `clientmsgid` idempotency key."""

from __future__ import annotations

from typing import Any

from wechatpy.client.api.base import BaseWeChatAPI
from wechatpy.exceptions import WeChatClientException

DUPLICATE_CLIENTMSGID = 45065


class MassMessageAPI(BaseWeChatAPI):
    """`/cgi-bin/message/mass/sendall` by tag (or to all) and `/cgi-bin/message/mass/preview`."""

    def send_all(self, tag_id: int | None, msgtype: str, content: dict[str, Any], clientmsgid: str) -> dict[str, Any]:
        """Submit one mass job; a repeated clientmsgid returns the first job's msg_id with `duplicate` set."""
        target: dict[str, Any] = {"is_to_all": True} if tag_id is None else {"is_to_all": False, "tag_id": tag_id}
        body = {"filter": target, "msgtype": msgtype, msgtype: content, "send_ignore_reprint": 0,
                "clientmsgid": clientmsgid}
        try:
            return self._post("message/mass/sendall", data=body)
        except WeChatClientException as exc:
            if exc.errcode == DUPLICATE_CLIENTMSGID and exc.response is not None:
                return {"msg_id": exc.response.json().get("msg_id"), "duplicate": True}
            raise

    def preview(self, openid: str, msgtype: str, content: dict[str, Any]) -> dict[str, Any]:
        """Send one copy to a test subscriber."""
        return self._post("message/mass/preview", data={"touser": openid, "msgtype": msgtype, msgtype: content})
