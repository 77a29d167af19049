"""The callback wire protocol: signatures, safe XML parsing, AES decryption and encryption."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import time
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException

MAX_BODY = 64 * 1024
MAX_SKEW = 300


class ProtocolError(Exception):
    """A callback request that must be refused; `status` is the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def sha1_signature(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted parts concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(token: str, timestamp: str, nonce: str, signature: str) -> None:
    """Raise 403 unless signature == sha1(sorted(token, timestamp, nonce))."""
    if not same_signature(sha1_signature(token, timestamp, nonce), signature):
        raise ProtocolError(403, "bad signature")


def same_signature(expected: str, given: str) -> bool:
    """Constant-time, case-insensitive comparison that also copes with non-ASCII input."""
    return bool(given) and hmac.compare_digest(expected.encode(), given.lower().encode("utf-8", "replace"))


def check_timestamp(timestamp: str, now: float | None = None) -> None:
    """Raise 403 when the timestamp is not an integer within 5 minutes of now."""
    try:
        value = int(timestamp)
    except (TypeError, ValueError):
        raise ProtocolError(403, "bad timestamp") from None
    # integer arithmetic: a timestamp of hundreds of digits is stale, not a float overflow
    if abs(int(now if now is not None else time.time()) - value) > MAX_SKEW:
        raise ProtocolError(403, "stale timestamp")


def parse_xml(body: bytes) -> dict[str, Any]:
    """Parse a WeChat XML body into a dict, refusing DTDs, entities and anything malformed with 400."""
    if b"<!DOCTYPE" in body[:4096].upper() or b"<!ENTITY" in body.upper():
        raise ProtocolError(400, "DTD or entity declarations are not accepted")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, UnicodeError, LookupError) as exc:
        raise ProtocolError(400, f"malformed XML: {type(exc).__name__}") from None
    if root.tag != "xml":
        raise ProtocolError(400, "root element must be <xml>")
    data = _element_dict(root, depth=0)
    if not isinstance(data, dict):
        raise ProtocolError(400, "empty <xml>")
    return data


def _element_dict(element: Element, depth: int) -> dict[str, Any] | str:
    if depth > 4:
        raise ProtocolError(400, "XML nested too deeply")
    children = list(element)
    if not children:
        return (element.text or "").strip() if depth else {}
    result: dict[str, Any] = {}
    for child in children:
        if child.tag in result:
            continue
        result[child.tag] = _element_dict(child, depth + 1)
    return result


REQUIRED = ("ToUserName", "FromUserName", "CreateTime", "MsgType")


def validate_message(data: dict[str, Any]) -> None:
    """Raise 400 unless the dict is a plausible WeChat message or event."""
    for name in REQUIRED:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise ProtocolError(400, f"missing or empty {name}")
    for name in ("ToUserName", "FromUserName"):
        if "]]>" in data[name]:
            raise ProtocolError(400, f"{name} cannot be echoed into a reply")
    if not data["CreateTime"].isdigit():
        raise ProtocolError(400, "CreateTime must be an integer")
    msg_id = data.get("MsgId", data.get("MsgID"))
    if msg_id is not None and not (isinstance(msg_id, str) and msg_id.isdigit()):
        raise ProtocolError(400, "MsgId must be an integer")
    if data["MsgType"] == "event" and not isinstance(data.get("Event"), str):
        raise ProtocolError(400, "event without Event")
    for name in ("Location_X", "Location_Y", "Scale", "Latitude", "Longitude", "Precision"):
        if name in data and not _is_number(data[name]):
            raise ProtocolError(400, f"{name} must be a number")


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


class Cipher:
    """AES-CBC message encryption in the platform's format (safe and compatible mode)."""

    def __init__(self, token: str, aes_key: str, app_id: str) -> None:
        self.token = token
        self.key = base64.b64decode(aes_key + "=")
        self.app_id = app_id

    def decrypt(self, encrypted: str, msg_signature: str, timestamp: str, nonce: str) -> bytes:
        """Verify msg_signature and decrypt, raising 403 or 400."""
        expected = sha1_signature(self.token, timestamp, nonce, encrypted)
        if not same_signature(expected, msg_signature):
            raise ProtocolError(403, "bad msg_signature")
        try:
            plain = PrpCrypto(self.key).decrypt(encrypted, self.app_id)
        except InvalidAppIdException:
            raise ProtocolError(400, "encrypted for another appid") from None
        except (ValueError, TypeError, binascii.Error, IndexError, UnicodeError, struct.error) as exc:
            raise ProtocolError(400, f"cannot decrypt: {type(exc).__name__}") from None
        return plain if isinstance(plain, bytes) else str(plain).encode()

    def encrypt(self, plain_xml: str, nonce: str | None = None, timestamp: str | None = None) -> str:
        """The encrypted reply envelope."""
        nonce = nonce or secrets.token_hex(8)
        timestamp = timestamp or str(int(time.time()))
        encrypted = PrpCrypto(self.key).encrypt(plain_xml, self.app_id)
        encrypted = encrypted.decode() if isinstance(encrypted, bytes) else str(encrypted)
        signature = sha1_signature(self.token, timestamp, nonce, encrypted)
        return (
            f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )
