"""Building signed callback requests the way the platform does (terminal chat, tests, benchmarks)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from bot.protocol import Cipher, parse_xml, sha1_signature


def message_xml(fields: dict[str, Any]) -> str:
    """A flat WeChat XML message from a dict of fields."""
    parts = []
    for name, value in fields.items():
        if isinstance(value, int):
            parts.append(f"<{name}>{value}</{name}>")
        else:
            parts.append(f"<{name}><![CDATA[{value}]]></{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def text_message(openid: str, content: str, msg_id: int | None = None, to: str = "gh_account") -> dict[str, Any]:
    """Fields of a text message."""
    return {
        "ToUserName": to,
        "FromUserName": openid,
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": content,
        "MsgId": msg_id if msg_id is not None else secrets.randbelow(10**15) + 10**15,
    }


def event_message(openid: str, event: str, key: str | None = None, to: str = "gh_account") -> dict[str, Any]:
    """Fields of an event."""
    fields: dict[str, Any] = {
        "ToUserName": to,
        "FromUserName": openid,
        "CreateTime": int(time.time()),
        "MsgType": "event",
        "Event": event,
    }
    if key is not None:
        fields["EventKey"] = key
    return fields


@dataclass
class Signer:
    """Signs (and, with an AES key, encrypts) callback requests; reads replies back."""

    token: str
    aes_key: str | None = None
    app_id: str = ""

    def request(self, fields: dict[str, Any], mode: str = "plain") -> tuple[str, bytes]:
        """(query string, body) for a message in mode plain, compat or safe."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(6)
        query = {"timestamp": timestamp, "nonce": nonce, "signature": sha1_signature(self.token, timestamp, nonce),
                 "openid": fields.get("FromUserName", "")}
        plain = message_xml(fields)
        if mode == "plain":
            return urlencode(query), plain.encode()
        assert self.aes_key, "encrypted modes need an AES key"
        envelope = parse_xml(Cipher(self.token, self.aes_key, self.app_id).encrypt(plain, nonce, timestamp).encode())
        encrypt = envelope["Encrypt"]
        query.update(encrypt_type="aes", msg_signature=sha1_signature(self.token, timestamp, nonce, encrypt))
        if mode == "safe":
            body = f"<xml><ToUserName><![CDATA[{escape(str(fields['ToUserName']))}]]></ToUserName>" \
                   f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        else:
            body = plain[: -len("</xml>")] + f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        return urlencode(query), body.encode()

    def read_reply(self, body: bytes, query: str | None = None) -> dict[str, Any] | None:
        """The reply as a dict (decrypted when encrypted), or None for `success`/empty."""
        if body.strip() in (b"", b"success"):
            return None
        data = parse_xml(body)
        if "Encrypt" in data:
            assert self.aes_key
            cipher = Cipher(self.token, self.aes_key, self.app_id)
            data = parse_xml(cipher.decrypt(data["Encrypt"], data["MsgSignature"], data["TimeStamp"], data["Nonce"]))
        return data
