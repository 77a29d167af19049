"""Pushes platform events (TEMPLATESENDJOBFINISH, MASSSENDJOBFINISH) to the account's callback URL, signed."""

from __future__ import annotations

import hashlib
import logging
import queue
import secrets
import threading
import time

import requests

log = logging.getLogger(__name__)


def callback_signature(token: str, timestamp: str, nonce: str) -> str:
    """The `signature` query parameter WeChat adds to callback requests."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()


class EventSender:
    """One background thread posting plaintext event XML to `url`, in order, best effort."""

    def __init__(self, url: str, token: str, account_id: str) -> None:
        self.url = url
        self.token = token
        self.account_id = account_id
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sandbox-events", daemon=True)
        self._thread.start()

    def _xml(self, openid: str, event: str, fields: str) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{self.account_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event>{fields}</xml>"
        )

    def template_finished(self, openid: str, msgid: int) -> None:
        """Queue the TEMPLATESENDJOBFINISH event of a delivered template message."""
        self._queue.put(
            self._xml(
                openid,
                "TEMPLATESENDJOBFINISH",
                f"<MsgID>{msgid}</MsgID><Status><![CDATA[success]]></Status>",
            )
        )

    def mass_finished(self, msg_id: int, count: int) -> None:
        """Queue the MASSSENDJOBFINISH event of a mass send."""
        fields = (
            f"<MsgID>{msg_id}</MsgID><Status><![CDATA[send success]]></Status><TotalCount>{count}</TotalCount>"
            f"<FilterCount>{count}</FilterCount><SentCount>{count}</SentCount><ErrorCount>0</ErrorCount>"
        )
        self._queue.put(self._xml(self.account_id, "MASSSENDJOBFINISH", fields))

    def _run(self) -> None:
        session = requests.Session()
        while (xml := self._queue.get()) is not None:
            timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
            params = {
                "signature": callback_signature(self.token, timestamp, nonce),
                "timestamp": timestamp,
                "nonce": nonce,
            }
            try:
                session.post(
                    self.url,
                    params=params,
                    data=xml.encode("utf-8"),
                    timeout=5,
                    headers={"Content-Type": "text/xml"},
                )
            except requests.RequestException as exc:
                log.info("sandbox event to %s failed: %s", self.url, exc)

    def stop(self) -> None:
        """Finish the queued events and stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout=5)
