"""Helpers shared by the sandbox's endpoint modules: the state accessor, JSON in and out, platform errors."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request

from bot.sandbox.state import State

EXTENSION = "wechat_sandbox"


def state() -> State:
    """The sandbox state of the current app."""
    return current_app.extensions[EXTENSION]


def body_json() -> Any:
    """The request body parsed as JSON whatever its Content-Type (wechatpy posts bare bytes); None if not JSON."""
    raw = request.get_data(cache=True)
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response with UTF-8 text kept readable, as the platform answers."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, content_type="application/json; charset=utf-8")


def wx_error(errcode: int, errmsg: str) -> Response:
    """A platform error answer (HTTP 200 with errcode and errmsg)."""
    return json_response({"errcode": errcode, "errmsg": errmsg})


def wx_ok(**extra: Any) -> Response:
    """A platform success answer."""
    return json_response({"errcode": 0, "errmsg": "ok", **extra})
