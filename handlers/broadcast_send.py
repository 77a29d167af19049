"""Sending one chunk of a template broadcast: claim, rate-limit, send with client_msg_id, retry, record in bulk."""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from wechatpy.exceptions import WeChatClientException

from bot.deps import Deps
from bot.logs import hash_openid
from bot.models import Broadcast, Delivery, Subscriber, utcnow
from handlers.broadcast_redis import Claims, Keys, RateLimiter, leased, rate_key

log = logging.getLogger(__name__)
WINDOW_MS = 600_000
SAFETY_MS = 60_000
THREADS = 10
LOOKAHEAD = 2 * THREADS
FLUSH_SIZE = 200
FLUSH_SECONDS = 1.0
MAX_ATTEMPTS = 8
BACKOFF_BASE = 0.2
BACKOFF_CAP = 10.0
TRANSIENT = frozenset({-1, 45011})
QUOTA = 45009
NOT_SUBSCRIBED = 43004
FINAL = frozenset({"sent", "failed", "skipped", "unknown"})


def client_msg_id(broadcast: Broadcast, openid: str) -> str:
    """The platform's idempotency key of (broadcast, openid): at most 64 characters, stable across workers."""
    seed = f"{broadcast.id}:{broadcast.created_at.isoformat()}:{openid}"
    return f"bc{broadcast.id}-{hashlib.sha256(seed.encode()).hexdigest()[:32]}"


@dataclass(frozen=True)
class Outcome:
    """What happened to one recipient: sent, failed, skipped, unknown, or quota (left pending)."""

    openid: str
    state: str
    attempts: int
    first_ms: int
    errcode: int | None = None
    msgid: str | None = None
    uncertain: bool = False


class Sender:
    """Sends the broadcast's template message to one recipient, retrying while that is safe."""

    def __init__(self, deps: Deps, broadcast: Broadcast, limiter: RateLimiter) -> None:
        self.deps = deps
        self.broadcast = broadcast
        self.limiter = limiter

    def deliver(self, openid: str, first_ms: int, now_ms: int) -> Outcome:
        """Send until a definite answer; a send with an unknown outcome is repeated only inside the dedupe window."""
        deadline = time.time() + (first_ms + WINDOW_MS - SAFETY_MS - now_ms) / 1000
        uncertain = first_ms < now_ms
        attempts, errcode = 0, None
        key = client_msg_id(self.broadcast, openid)

        def give_up() -> Outcome:
            state = "unknown" if uncertain else "failed"
            return Outcome(openid, state, attempts, first_ms, errcode, uncertain=uncertain)

        while time.time() < deadline:
            self.limiter.acquire()
            attempts += 1
            try:
                result = self.deps.wechat.template.send(
                    openid, self.broadcast.template_id or "", self.broadcast.data, self.broadcast.url, key
                )
                if isinstance(result, dict) and result.get("msgid") is not None:
                    return Outcome(openid, "sent", attempts, first_ms, msgid=str(result["msgid"]), uncertain=uncertain)
                errcode = None
            except WeChatClientException as exc:
                errcode = exc.errcode
            if errcode is None:
                uncertain = True
            elif errcode == NOT_SUBSCRIBED:
                return Outcome(openid, "skipped", attempts, first_ms, errcode, uncertain=uncertain)
            elif errcode == QUOTA:
                return Outcome(openid, "quota", attempts, first_ms, errcode, uncertain=uncertain)
            elif errcode not in TRANSIENT or attempts >= MAX_ATTEMPTS:
                return give_up() if errcode in TRANSIENT else Outcome(openid, "failed", attempts, first_ms, errcode)
            pause = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempts - 1)) * random.uniform(0.5, 1.5)
            if time.time() + pause >= deadline:
                break
            time.sleep(pause)
        return give_up()


class Recorder:
    """Buffers outcomes and writes them to the database in batches, then drops their claims."""

    def __init__(self, deps: Deps, broadcast_id: int, claims: Claims) -> None:
        self.deps = deps
        self.broadcast_id = broadcast_id
        self.claims = claims
        self.buffer: list[Outcome] = []
        self.flushed_at = time.monotonic()
        self.counts: dict[str, int] = {}

    def add(self, outcome: Outcome) -> None:
        """Keep one outcome; flush when the batch is full or old."""
        self.buffer.append(outcome)
        self.counts[outcome.state] = self.counts.get(outcome.state, 0) + 1
        if outcome.state not in ("sent", "quota"):
            log.info("broadcast %s %s %s errcode=%s attempts=%s", self.broadcast_id, outcome.state,
                     hash_openid(outcome.openid), outcome.errcode, outcome.attempts)
        if len(self.buffer) >= FLUSH_SIZE or time.monotonic() - self.flushed_at > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write final outcomes in one statement; forget claims that no longer matter."""
        batch, self.buffer = self.buffer, []
        self.flushed_at = time.monotonic()
        final = [o for o in batch if o.state in FINAL]
        if final:
            rows = [
                {
                    "broadcast_id": self.broadcast_id,
                    "openid": o.openid,
                    "state": o.state,
                    "errcode": o.errcode,
                    "msgid": o.msgid,
                    "attempts": o.attempts,
                    "first_attempt_at": datetime.fromtimestamp(o.first_ms / 1000, UTC).replace(tzinfo=None),
                    "updated_at": utcnow(),
                }
                for o in final
            ]
            left = [o.openid for o in final if o.state == "skipped"]
            with self.deps.sessions.begin() as session:
                session.execute(update(Delivery), rows)
                if left:
                    session.execute(
                        update(Subscriber).where(Subscriber.openid.in_(left), Subscriber.subscribed.is_(True))
                        .values(subscribed=False, unsubscribed_at=utcnow())
                    )
        self.claims.forget([o.openid for o in batch if o.state in FINAL or not o.uncertain])


def pending(deps: Deps, broadcast_id: int, chunk: int) -> list[str]:
    """Recipients of one chunk that have no final outcome yet."""
    with deps.sessions() as session:
        query = select(Delivery.openid).where(
            Delivery.broadcast_id == broadcast_id, Delivery.chunk == chunk, Delivery.state == "pending"
        )
        return list(session.scalars(query.order_by(Delivery.openid)))


def send_chunk(deps: Deps, broadcast_id: int, chunk: int) -> dict[str, object]:
    """Deliver one chunk under its lease; returns counts and why it stopped (done, halted, quota, busy)."""
    with deps.sessions() as session:
        broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.state != "sending":
        return {"stopped": broadcast.state if broadcast else "missing"}
    keys = Keys(deps.prefix, broadcast_id)
    with leased(deps.redis, keys.lease(chunk)) as lease:
        if lease is None:
            return {"stopped": "busy"}
        limiter = RateLimiter(deps.redis, rate_key(deps.prefix), deps.settings.broadcast_rate)
        recorder = Recorder(deps, broadcast_id, Claims(deps.redis, keys, lease))
        try:
            stopped = _run(Sender(deps, broadcast, limiter), recorder, pending(deps, broadcast_id, chunk))
        finally:
            recorder.flush()
            limiter.close()
    log.info("broadcast %s chunk %s stopped=%s %s", broadcast_id, chunk, stopped, recorder.counts)
    return {"stopped": stopped, **recorder.counts}


def _run(sender: Sender, recorder: Recorder, openids: list[str]) -> str:
    queue = deque(openids)
    inflight: set[Future[Outcome]] = set()
    stopped = "done"
    with ThreadPoolExecutor(THREADS, thread_name_prefix="broadcast-send") as pool:
        while (queue and stopped == "done") or inflight:
            if queue and stopped == "done" and len(inflight) <= LOOKAHEAD // 2:
                take = [queue.popleft() for _ in range(min(len(queue), LOOKAHEAD - len(inflight)))]
                verdict, now_ms, claimed = recorder.claims.claim(take)
                if verdict != "ok":
                    stopped = verdict
                    queue.clear()
                inflight.update(pool.submit(sender.deliver, openid, first, now_ms) for openid, first in claimed)
            if not inflight:
                continue
            done, inflight = wait(inflight, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = future.result()
                recorder.add(outcome)
                if outcome.state == "quota" and stopped == "done":
                    stopped = "quota"
                    queue.clear()
    return stopped
