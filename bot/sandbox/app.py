"""The sandbox Flask app: endpoint groups, fault injection and call recording around every platform call."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, g, request

from bot.sandbox import control, messages, oauth, pay, paypage, platform, refunds
from bot.sandbox.common import EXTENSION, body_json, json_response, state, wx_error
from bot.sandbox.config import SandboxConfig
from bot.sandbox.events import EventSender
from bot.sandbox.faults import Outcome, roll
from bot.sandbox.notify import Notifier
from bot.sandbox.signing import load_private_key, load_public_key
from bot.sandbox.state import State

DROP_KEY = "wechat_sandbox.drop"
EVENTS_KEY = "wechat_sandbox_events"
RECORD_RESPONSE_LIMIT = 16_384
StartResponse = Callable[..., Any]


class DropMiddleware:
    """Buffers each response; when a drop fault fired, closes the socket instead of answering."""

    def __init__(self, wsgi_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started: list[Any] = []

        def defer(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            started[:] = [status, headers, exc_info]
            return lambda data: None

        result = self.wsgi_app(environ, defer)
        try:
            chunks = list(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if environ.get(DROP_KEY):
            sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            raise ConnectionAbortedError("sandbox dropped the response on purpose")
        start_response(*started)
        return chunks


def _fault_response(outcome: Outcome) -> Response:
    if request.path.startswith("/v3/"):
        status = outcome.status or 500
        return json_response(
            {
                "code": outcome.errmsg or "SYSTEM_ERROR",
                "message": "系统繁忙，请稍后重试",
            },
            status,
        )
    if outcome.errcode is not None:
        return wx_error(outcome.errcode, outcome.errmsg or "injected error")
    return Response(outcome.errmsg or "injected failure", status=outcome.status or 500)


def _before() -> Response | None:
    g.sandbox_started = time.time()
    if request.path.startswith("/sandbox"):
        return None
    st = state()
    with st.lock:
        outcome = roll(st.faults, request.path, st.rng) if st.faults else Outcome()
    g.sandbox_outcome = outcome
    if outcome.latency_ms:
        time.sleep(outcome.latency_ms / 1000)
    if outcome.short_circuit:
        return _fault_response(outcome)
    return None


def _response_fields(response: Response) -> dict[str, Any]:
    fields: dict[str, Any] = {"status": response.status_code, "errcode": None}
    if response.is_streamed or response.mimetype != "application/json":
        return fields
    raw = response.get_data()
    if len(raw) > RECORD_RESPONSE_LIMIT:
        fields["errcode"] = 0 if raw.startswith(b'{"total"') else None
        return fields
    try:
        data = json.loads(raw)
    except ValueError:
        return fields
    if isinstance(data, dict):
        if "errcode" in data:
            fields["errcode"] = data["errcode"]
        elif "code" in data:
            fields["code"] = data["code"]
        elif not request.path.startswith("/v3/"):
            fields["errcode"] = 0
        if fields["errcode"] or fields.get("code") or "msgid" in data or "msg_id" in data:
            fields["response"] = data
    return fields


def _after(response: Response) -> Response:
    if request.path.startswith("/sandbox"):
        return response
    outcome: Outcome = g.get("sandbox_outcome") or Outcome()
    body: Any = body_json()
    if body is None and request.content_length:
        body = request.get_data(as_text=True)[:2000]
    call = {
        "time": g.get("sandbox_started", time.time()),
        "method": request.method,
        "path": request.path,
        "query": request.args.to_dict(),
        "body": body,
        "dropped": outcome.drop,
        "faults": outcome.fired,
        "duration_ms": round((time.time() - g.get("sandbox_started", time.time())) * 1000, 3),
        **_response_fields(response),
    }
    st = state()
    with st.lock:
        st.record_call(call)
    if outcome.drop:
        request.environ[DROP_KEY] = True
    return response


def create_sandbox_app(config: SandboxConfig) -> Flask:
    """Build the sandbox app; its state is `app.extensions["wechat_sandbox"]`."""
    app = Flask("bot.sandbox")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    st = State(config)
    app.extensions[EXTENSION] = st
    app.extensions[pay.EXTENSION] = pay.PayRuntime(
        platform_key=load_private_key(config.platform_private_key_pem),
        key_id=config.platform_public_key_id,
        merchant_key=load_public_key(config.merchant_public_key_pem) if config.merchant_public_key_pem else None,
        notifier=Notifier(st),
    )
    if config.callback_url and config.callback_token:
        app.extensions[EVENTS_KEY] = EventSender(config.callback_url, config.callback_token, config.account_id)
    app.before_request(_before)
    app.before_request(platform.require_access_token)
    app.after_request(_after)
    for module in (platform, messages, oauth, pay, refunds, paypage, control):
        app.register_blueprint(module.bp)

    @app.get("/")
    def index() -> Response:
        return json_response(
            {
                "service": "wechat-sandbox",
                "app_id": config.app_id,
                "mch_id": config.mch_id,
            }
        )

    app.wsgi_app = DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app
