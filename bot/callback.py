"""`GET/POST /wechat`: the thin adapter between the platform's HTTP callback and the robot."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request
from werobot.parser import process_message

from bot import metrics
from bot.dispatch import Coordinator, Robot, dedupe_key
from bot.logs import hash_openid
from bot.protocol import (
    MAX_BODY,
    Cipher,
    ProtocolError,
    check_signature,
    check_timestamp,
    parse_xml,
    validate_message,
)
from bot.replies import Reply

log = logging.getLogger(__name__)


def make_blueprint(
    token: str,
    cipher: Cipher | None,
    robot: Robot,
    coordinator: Coordinator,
    deliver_late: Callable[[str, Reply], None],
) -> Blueprint:
    """The callback routes, bound to one robot and one deduplicating coordinator."""
    bp = Blueprint("wechat", __name__)

    @bp.get("/wechat")
    def verify() -> Response:
        args = request.args
        try:
            check_signature(token, args.get("timestamp", ""), args.get("nonce", ""), args.get("signature", ""))
        except ProtocolError as exc:
            return _refuse(exc)
        return Response(args.get("echostr", ""), mimetype="text/plain")

    @bp.post("/wechat")
    def receive() -> Response:
        started = time.monotonic()
        try:
            body, data, encrypted = _read(token, cipher)
        except ProtocolError as exc:
            metrics.REPLIES.labels(f"refused_{exc.status}").inc()
            return _refuse(exc)
        openid = data["FromUserName"]
        try:
            message = process_message(dict(data, raw=body))
            reply = coordinator.answer(
                dedupe_key(data),
                lambda: _safe_reply(robot, message),
                lambda late: deliver_late(openid, late),
                started,
            )
        except Exception:
            log.exception("callback failed for %s; answering success", hash_openid(openid))
            reply = Reply.success(error=True)
        kind = str(reply.meta.get("kind", reply.kind))
        metrics.REPLIES.labels(kind).inc()
        log.info("message type=%s from=%s reply=%s ms=%d", data.get("MsgType"), hash_openid(openid), kind,
                 (time.monotonic() - started) * 1000)
        if reply.kind == "success":
            return Response("success", mimetype="text/plain")
        xml = reply.render(to_user=openid, from_user=data["ToUserName"], created=int(time.time()))
        if encrypted and cipher is not None:
            nonce = request.args.get("nonce", "")
            xml = cipher.encrypt(xml, nonce=nonce if nonce.isascii() and nonce.isalnum() else None)
        return Response(xml, mimetype="application/xml")

    return bp


def _read(token: str, cipher: Cipher | None) -> tuple[bytes, dict[str, Any], bool]:
    """Check size, signatures and timestamp, then parse (and decrypt) the message."""
    if (request.content_length or 0) > MAX_BODY:
        raise ProtocolError(413, "body too large")
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise ProtocolError(413, "body too large")
    args = request.args
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    msg_signature, signature = args.get("msg_signature"), args.get("signature")
    if msg_signature is None or signature is not None:
        check_signature(token, timestamp, nonce, signature or "")
    check_timestamp(timestamp)
    data = parse_xml(body)
    encrypted = "Encrypt" in data or args.get("encrypt_type") == "aes"
    if not encrypted and signature is None:
        raise ProtocolError(403, "plaintext message without a signature")
    if encrypted:
        if cipher is None:
            raise ProtocolError(400, "encrypted message but no WECHAT_AES_KEY is configured")
        encrypt = data.get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise ProtocolError(400, "encrypted mode without an Encrypt element")
        plain = cipher.decrypt(encrypt, msg_signature or "", timestamp, nonce)
        data = parse_xml(plain)
    validate_message(data)
    return body, data, encrypted


def _safe_reply(robot: Robot, message: Any) -> Reply:
    try:
        return robot.reply_for(message)
    except Exception:
        log.exception("dispatch failed")
        return Reply.success(error=True)


def _refuse(exc: ProtocolError) -> Response:
    log.info("callback refused status=%d reason=%s", exc.status, exc.reason)
    return Response(exc.reason, status=exc.status, mimetype="text/plain")
