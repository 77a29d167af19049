"""Message dispatch: the WeRoBot handler registry, retry deduplication and the reply deadline."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import redis
from werobot.robot import BaseRoBot

from bot import metrics
from bot.logs import hash_openid
from bot.replies import Reply

log = logging.getLogger(__name__)
CLAIM_TTL = 120
REPLY_TTL = 600
POLL_INTERVAL = 0.02


class Robot(BaseRoBot):
    """WeRoBot's handler registry, answering with our Reply values and a polite fallback on errors."""

    def __init__(self, fallback: Callable[[], Reply]) -> None:
        super().__init__(token="unused", enable_session=False, logger=log)
        self._fallback = fallback

    def add_handler(self, func: Callable[..., Any], type: str = "all") -> None:
        """Register a handler, also for message types WeRoBot has no class for."""
        self._handlers.setdefault(type, [])
        super().add_handler(func, type=type)

    def reply_for(self, message: Any) -> Reply:
        """Run the handlers for the message type in order; the first non-empty answer wins."""
        metrics.HANDLER_RUNS.labels(message.type).inc()
        for handler, args_count in self.get_handlers(message.type):
            try:
                reply = handler(*[message, None][:args_count])
            except Exception:
                metrics.HANDLER_ERRORS.labels(message.type).inc()
                log.exception("handler %s failed for %s from %s", getattr(handler, "__name__", handler),
                              message.type, hash_openid(getattr(message, "source", None)))
                return self._fallback()
            if reply:
                return reply if isinstance(reply, Reply) else Reply.of_text(str(reply))
        return Reply.success()


def dedupe_key(data: dict[str, Any]) -> str:
    """MsgId for messages; FromUserName + CreateTime + Event for events. A message without a MsgId is keyed by
    its whole content: a retry repeats it exactly, while two messages sent in one second differ."""
    source = data.get("FromUserName", "")
    msg_id = data.get("MsgId") or data.get("MsgID")
    if data.get("MsgType") == "event":
        return f"evt:{source}:{data.get('CreateTime', '')}:{data.get('Event', '')}:{data.get('EventKey', '')}"
    if msg_id:
        return f"msg:{source}:{msg_id}"
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    return f"msg:{source}:{data.get('CreateTime', '')}:{digest[:24]}"


class Coordinator:
    """Answers each message once: concurrent and later retries get the first attempt's reply."""

    def __init__(self, redis_client: redis.Redis, prefix: str, deadline: float, workers: int = 16) -> None:
        self.redis = redis_client
        self.prefix = prefix + "cb:"
        self.deadline = deadline
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reply")

    def answer(
        self,
        key: str,
        compute: Callable[[], Reply],
        deliver_late: Callable[[Reply], None],
        started: float,
    ) -> Reply:
        """The reply for this message, within the deadline counted from `started`."""
        claim, stored = self.prefix + "claim:" + key, self.prefix + "reply:" + key
        try:
            claimed = bool(self.redis.set(claim, "1", nx=True, ex=CLAIM_TTL))
        except redis.RedisError:
            log.warning("redis unavailable: answering without deduplication")
            return self._run(compute, deliver_late, started, store=None)
        if claimed:
            return self._run(compute, deliver_late, started, store=stored)
        metrics.DEDUPE_HITS.inc()
        return self._wait(stored, started)

    def _run(
        self,
        compute: Callable[[], Reply],
        deliver_late: Callable[[Reply], None],
        started: float,
        store: str | None,
    ) -> Reply:
        lock = threading.Lock()
        state: dict[str, Any] = {"deferred": False}

        def finish(future: Future[Reply]) -> None:
            try:
                reply = future.result()
            except Exception:
                log.exception("reply computation failed")
                return
            with lock:
                late = state["deferred"]
            if late and reply.kind != "success":
                try:
                    deliver_late(reply)
                except Exception:
                    log.exception("late delivery could not be scheduled")

        future = self.executor.submit(compute)
        future.add_done_callback(finish)
        try:
            reply = future.result(timeout=max(0.0, self.deadline - (time.monotonic() - started)))
        except FutureTimeout:
            with lock:
                if future.done() and future.exception() is None:
                    reply = future.result()
                else:
                    state["deferred"] = True
                    reply = Reply.success(deferred=True)
            if state["deferred"]:
                metrics.DEFERRED.inc()
        self._store(store, reply)
        return reply

    def _store(self, key: str | None, reply: Reply) -> None:
        if key is None:
            return
        try:
            self.redis.set(key, reply.to_json(), ex=REPLY_TTL)
        except redis.RedisError:
            log.warning("could not store reply for retries")

    def _wait(self, stored: str, started: float) -> Reply:
        while time.monotonic() - started < self.deadline:
            try:
                raw = self.redis.get(stored)
            except redis.RedisError:
                break
            if raw is not None:
                return Reply.from_json(raw)
            time.sleep(POLL_INTERVAL)
        return Reply.success(deferred=True)
