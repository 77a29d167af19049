"""Retries are harmless and slow answers arrive later: one handler run, identical replies, late delivery."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from app import create_app
from bot.replies import Reply
from bot.wire import Signer, event_message, text_message
from tests.conftest import AES_KEY, TOKEN, LiveServer


class Counting:
    """A text handler that counts its runs and takes `delay` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.runs = 0
        self.lock = threading.Lock()

    def matcher(self, deps: Any, message: Any) -> bool:
        return True

    def adapter(self, deps: Any, message: Any, _match: Any) -> Reply:
        with self.lock:
            self.runs += 1
            run = self.runs
        time.sleep(self.delay)
        return Reply.of_text(f"answer #{run} to {message.content}")


def post_copies(url: str, signer: Signer, fields: dict[str, Any], copies: int, mode: str) -> list[tuple[int, Any]]:
    """Send the same message `copies` times at once (each copy freshly signed, as the platform does)."""

    def one(_: int) -> tuple[int, Any]:
        query, body = signer.request(fields, mode)
        response = requests.post(f"{url}/wechat?{query}", data=body, timeout=10)
        return response.status_code, signer.read_reply(response.content)

    with ThreadPoolExecutor(copies) as pool:
        return list(pool.map(one, range(copies)))


def test_three_concurrent_copies_run_the_handler_once_and_get_the_same_reply(settings: Any) -> None:
    handler = Counting(delay=0.6)
    app = create_app(settings, routes=(("text", handler.matcher, handler.adapter),), watch=False)
    server = LiveServer(app)
    try:
        fields = text_message("o-retry", "怎么退款", msg_id=1234567890123)
        results = post_copies(server.url, Signer(TOKEN, AES_KEY, settings.app_id), fields, 3, "safe")
        later = post_copies(server.url, Signer(TOKEN, AES_KEY, settings.app_id), fields, 1, "plain")
    finally:
        server.stop()
    assert handler.runs == 1
    contents = {reply["Content"] for status, reply in results + later if status == 200}
    assert contents == {"answer #1 to 怎么退款"}
    assert [status for status, _ in results] == [200, 200, 200]


def test_event_retries_are_deduplicated_by_sender_time_and_event(settings: Any) -> None:
    handler = Counting(delay=0.0)
    app = create_app(settings, routes=(("click_event", handler.matcher, handler.adapter),), watch=False)
    server = LiveServer(app)
    try:
        fields = event_message("o-click", "CLICK", key="HELP")
        post_copies(server.url, Signer(TOKEN), fields, 3, "plain")
        fields_later = dict(fields, CreateTime=int(fields["CreateTime"]) + 1)
        post_copies(server.url, Signer(TOKEN), fields_later, 1, "plain")
    finally:
        server.stop()
    assert handler.runs == 2


def test_messages_without_a_msgid_are_told_apart_by_content_and_retries_still_deduplicated(settings: Any) -> None:
    handler = Counting(delay=0.0)
    app = create_app(settings, routes=(("text", handler.matcher, handler.adapter),), watch=False)
    server = LiveServer(app)
    signer = Signer(TOKEN)
    try:
        first = {k: v for k, v in text_message("o-no-msgid", "怎么退款").items() if k != "MsgId"}
        second = dict(first, Content="发票怎么开")       # same sender, same second
        replies = post_copies(server.url, signer, first, 2, "plain") + post_copies(server.url, signer, second, 1,
                                                                                    "plain")
    finally:
        server.stop()
    assert handler.runs == 2
    assert {reply["Content"] for _, reply in replies[:2]} == {"answer #1 to 怎么退款"}
    assert replies[2][1]["Content"] == "answer #2 to 发票怎么开"


def test_a_reply_slower_than_the_deadline_is_success_then_a_customer_service_message(
    settings: Any, sandbox: Any
) -> None:
    from workers.runner import make_worker

    handler = Counting(delay=1.5)
    app = create_app(settings.with_(reply_deadline=0.5), routes=(("text", handler.matcher, handler.adapter),),
                     watch=False)
    client = app.test_client()
    signer = Signer(TOKEN, AES_KEY, settings.app_id)
    query, body = signer.request(text_message("o-slow", "慢慢来"), "plain")
    started = time.monotonic()
    response = client.post(f"/wechat?{query}", data=body)
    elapsed = time.monotonic() - started
    assert response.data == b"success"
    assert elapsed < 1.2
    deadline = time.monotonic() + 10
    deps = app.extensions["deps"]
    while deps.queue.count == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert deps.queue.count == 1
    make_worker(deps).work(burst=True, logging_level="WARNING")
    delivered = sandbox.wait_for_messages("o-slow", 1, timeout=5)
    assert [m.get("content") for m in delivered] == ["answer #1 to 慢慢来"]
    assert handler.runs == 1


def test_retry_after_a_deferred_reply_gets_success_too(settings: Any) -> None:
    handler = Counting(delay=1.0)
    app = create_app(settings.with_(reply_deadline=0.3), routes=(("text", handler.matcher, handler.adapter),),
                     watch=False)
    client = app.test_client()
    signer = Signer(TOKEN)
    fields = text_message("o-slow2", "hi", msg_id=998877)
    for _ in range(2):
        query, body = signer.request(fields, "plain")
        assert client.post(f"/wechat?{query}", data=body).data == b"success"
    time.sleep(1.0)
    query, body = signer.request(fields, "plain")
    assert client.post(f"/wechat?{query}", data=body).data == b"success"
    assert handler.runs == 1
