"""Fake message sending: customer-service, template (client_msg_id dedupe) and mass sends, recorded per openid."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app

from bot.sandbox.common import body_json, json_response, state, wx_error, wx_ok
from bot.sandbox.events import EventSender

bp = Blueprint("sandbox_messages", __name__, url_prefix="/cgi-bin/message")
CUSTOM_TYPES = frozenset(
    (
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
        "mpnews",
        "mpnewsarticle",
        "msgmenu",
        "wxcard",
        "miniprogrampage",
    )
)
MASS_TYPES = frozenset(("text", "image", "voice", "mpvideo", "mpnews", "wxcard"))
TEMPLATE_VALUE_LIMIT = 20
MASS_DEDUPE_WINDOW = 24 * 3600


def _content(msgtype: str, body: dict[str, Any]) -> dict[str, Any]:
    """How a delivered message is recorded: `content` is the text of a text message, else its body."""
    if msgtype == "text":
        text = body.get("content")
        return {"content": text, "text": text, "body": body}
    return {"content": body, "body": body}


def _events() -> EventSender | None:
    return current_app.extensions.get("wechat_sandbox_events")


@bp.post("/custom/send")
def custom_send() -> Response:
    """POST /cgi-bin/message/custom/send: deliver one customer-service message."""
    data = body_json()
    if not isinstance(data, dict):
        return wx_error(47001, "data format error")
    touser, msgtype = data.get("touser"), data.get("msgtype")
    if not isinstance(touser, str) or not touser:
        return wx_error(40003, "invalid openid")
    if msgtype not in CUSTOM_TYPES:
        return wx_error(40008, "invalid message type")
    body = data.get(msgtype)
    if not isinstance(body, dict):
        return wx_error(47001, "data format error")
    if msgtype == "text" and not str(body.get("content") or "").strip():
        return wx_error(44003, "empty content")
    st = state()
    with st.lock:
        user = st.users.get(touser)
        if user is None:
            # only someone who just wrote to the account can get a customer-service message
            st.subscribe([touser])
        elif not user.subscribed:
            return wx_error(43004, "require subscribe")
        record: dict[str, Any] = {"kind": "custom", "msgtype": msgtype, **_content(msgtype, body)}
        st.deliver(touser, record)
    return wx_ok()


def _template_error(data: dict[str, Any]) -> Response | None:
    if not isinstance(data.get("touser"), str) or not data["touser"]:
        return wx_error(40003, "invalid openid")
    if not isinstance(data.get("template_id"), str) or not data["template_id"]:
        return wx_error(40037, "invalid template_id")
    fields = data.get("data", {})
    if not isinstance(fields, dict):
        return wx_error(47001, "data format error")
    for key, item in fields.items():
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str):
            return wx_error(47001, f"data format error: data.{key}.value")
        if len(value) > TEMPLATE_VALUE_LIMIT:
            return wx_error(47003, f"argument invalid! data.{key}.value exceeds limit")
    client_msg_id = data.get("client_msg_id")
    if client_msg_id is not None and (not isinstance(client_msg_id, str) or len(client_msg_id) > 64):
        return wx_error(47003, "argument invalid! client_msg_id")
    return None


@bp.post("/template/send")
def template_send() -> Response:
    """POST /cgi-bin/message/template/send: one delivery per touser + client_msg_id within 10 minutes."""
    data = body_json()
    if not isinstance(data, dict):
        return wx_error(47001, "data format error")
    error = _template_error(data)
    if error:
        return error
    touser, client_msg_id = data["touser"], data.get("client_msg_id")
    st = state()
    now = time.time()
    with st.lock:
        if client_msg_id:
            seen = st.client_msg_ids.get((touser, client_msg_id))
            if seen is not None and now - seen[1] < st.config.client_msg_id_window:
                return wx_ok(msgid=seen[0])
        if not st.is_subscriber(touser):
            return wx_error(43004, "require subscribe")
        msgid = st.new_msgid()
        if client_msg_id:
            st.client_msg_ids[(touser, client_msg_id)] = (msgid, now)
        st.deliver(
            touser,
            {
                "kind": "template",
                "template_id": data["template_id"],
                "data": data.get("data", {}),
                "url": data.get("url"),
                "miniprogram": data.get("miniprogram"),
                "client_msg_id": client_msg_id,
                "msgid": msgid,
                "time": now,
            },
        )
    events = _events()
    if events is not None:
        events.template_finished(touser, msgid)
    return wx_ok(msgid=msgid)


def _mass(data: dict[str, Any], recipients: list[str] | None) -> Response:
    msgtype = data.get("msgtype")
    if msgtype not in MASS_TYPES or not isinstance(data.get(msgtype), dict):
        return wx_error(40008, "invalid message type")
    clientmsgid = data.get("clientmsgid")
    st = state()
    now = time.time()
    with st.lock:
        if clientmsgid:
            seen = st.mass_ids.get(clientmsgid)
            if seen is not None and now - seen[1] < MASS_DEDUPE_WINDOW:
                return json_response({"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": seen[0]})
        if recipients is None:
            filt = data.get("filter") or {}
            tag = filt.get("tag_id", filt.get("group_id"))
            if not filt.get("is_to_all") and (not isinstance(tag, int) or tag not in st.tags):
                return wx_error(40050, "invalid tag id")
            recipients = [
                u.openid for u in st.users.values() if u.subscribed and (filt.get("is_to_all") or tag in u.tags)
            ]
        else:
            recipients = [o for o in recipients if st.is_subscriber(o)]
        msg_id = st.new_msgid()
        if clientmsgid:
            st.mass_ids[clientmsgid] = (msg_id, now)
        body = data[msgtype]
        for openid in recipients:
            st.deliver(
                openid,
                {
                    "kind": "mass",
                    "msgtype": msgtype,
                    **_content(msgtype, body),
                    "msg_id": msg_id,
                    "clientmsgid": clientmsgid,
                    "time": now,
                },
            )
    events = _events()
    if events is not None:
        events.mass_finished(msg_id, len(recipients))
    return json_response(
        {
            "errcode": 0,
            "errmsg": "send job submission success",
            "msg_id": msg_id,
            "msg_data_id": msg_id % 100_000_000,
        }
    )


@bp.post("/mass/sendall")
def mass_sendall() -> Response:
    """POST /cgi-bin/message/mass/sendall: to everyone or one tag; a repeated clientmsgid gets 45065."""
    data = body_json()
    if not isinstance(data, dict) or not isinstance(data.get("filter"), dict):
        return wx_error(47001, "data format error")
    return _mass(data, None)


@bp.post("/mass/send")
def mass_send() -> Response:
    """POST /cgi-bin/message/mass/send: to a list of 2-10,000 openids."""
    data = body_json()
    touser = data.get("touser") if isinstance(data, dict) else None
    if not isinstance(touser, list) or not 2 <= len(touser) <= 10_000:
        return wx_error(40032, "invalid openid list size, at least two openid")
    assert isinstance(data, dict)
    return _mass(data, [str(o) for o in touser])


@bp.post("/mass/preview")
def mass_preview() -> Response:
    """POST /cgi-bin/message/mass/preview: one copy to a test subscriber."""
    data = body_json()
    touser = data.get("touser") if isinstance(data, dict) else None
    if not isinstance(touser, str):
        return wx_error(40003, "invalid openid")
    msgtype = data.get("msgtype") if isinstance(data, dict) else None
    if msgtype not in MASS_TYPES or not isinstance(data.get(msgtype), dict):  # type: ignore[union-attr]
        return wx_error(40008, "invalid message type")
    st = state()
    with st.lock:
        if not st.is_subscriber(touser):
            return wx_error(43004, "require subscribe")
        body = data[msgtype]  # type: ignore[index]
        st.deliver(
            touser,
            {
                "kind": "mass_preview",
                "msgtype": msgtype,
                **_content(msgtype, body),
            },
        )
    return wx_ok()
