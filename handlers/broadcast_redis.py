"""Redis side of broadcast delivery: the shared send-rate token bucket, work leases and per-recipient claims."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import redis

# Token bucket that may go into debt: taking n tokens returns how long (µs) to wait until they are all earned,
# so every worker's sends are scheduled into one global sequence of 1/rate slots (one call per n sends).
TAKE = """
local now_t = redis.call('TIME')
local now = now_t[1] * 1000 + now_t[2] / 1000
local rate, burst, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1]) or burst
local ts = tonumber(v[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate / 1000) - n
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 600000)
if tokens >= 0 then return 0 end
return math.ceil(-tokens * 1000000 / rate)
"""

# Claim recipients for the holder of the chunk lease (the lease fences out any other run of the chunk).
# A recipient's first-attempt time is set once and kept across claims, so a send whose outcome is unknown
# is retried only inside the platform's dedupe window. Returns {verdict, now_ms, openid1, first1, ...}.
CLAIM = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {'lost', 0} end
if redis.call('EXISTS', KEYS[3]) == 1 then return {'halted', 0} end
local now_t = redis.call('TIME')
local now = now_t[1] * 1000 + math.floor(now_t[2] / 1000)
local openids = {}
for i = 2, #ARGV do
  redis.call('HSETNX', KEYS[1], ARGV[i], now)
  openids[#openids + 1] = ARGV[i]
end
local firsts = redis.call('HMGET', KEYS[1], unpack(openids))
redis.call('EXPIRE', KEYS[1], 172800)
local out = {'ok', now}
for i = 1, #openids do
  out[#out + 1] = openids[i]
  out[#out + 1] = tonumber(firsts[i]) or now
end
return out
"""


class Keys:
    """Key names of one broadcast under the deployment's prefix."""

    def __init__(self, prefix: str, broadcast_id: int) -> None:
        base = f"{prefix}broadcast:{broadcast_id}:"
        self.claims = base + "claims"
        self.halt = base + "halt"
        self.pump_lock = base + "pump"
        self.base = base

    def lease(self, part: int | str) -> str:
        """The lease of one unit of work (a chunk number, or "expand")."""
        return f"{self.base}lease:{part}"


def rate_key(prefix: str) -> str:
    """The one token bucket every worker of the deployment shares."""
    return f"{prefix}broadcast:rate"


def finish_key(prefix: str) -> str:
    """Hash of msgid → final status reported by TEMPLATESENDJOBFINISH, folded into the database in bulk."""
    return f"{prefix}broadcast:finished"


class RateLimiter:
    """Process-local view of the shared bucket: reserves a few tokens per Redis call and hands them out."""

    def __init__(self, client: redis.Redis, key: str, rate: float) -> None:
        self.rate = rate
        self.step = max(1, min(10, int(rate / 20)))
        self.burst = max(self.step, rate / 2)
        self._take = client.register_script(TAKE)
        self._key = key
        self._lock = threading.Lock()
        self._allowance = 0

    def acquire(self) -> None:
        """Block until this process may make one more send."""
        with self._lock:
            if self._allowance == 0:
                wait_us = int(self._take(keys=[self._key], args=[self.rate, self.burst, self.step]))
                if wait_us > 0:
                    time.sleep(wait_us / 1_000_000)
                self._allowance = self.step
            self._allowance -= 1

    def close(self) -> None:
        """Give unused reserved tokens back to the bucket."""
        with self._lock:
            if self._allowance:
                self._take(keys=[self._key], args=[self.rate, self.burst, -self._allowance])
                self._allowance = 0


class Lease:
    """Exclusive right to one unit of work, kept alive by a heartbeat thread; lapses when the worker dies."""

    TTL = 20
    BEAT = 5

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.client = client
        self.key = key
        self.token = secrets.token_hex(8)
        self._stop = threading.Event()

    def acquire(self) -> bool:
        """Take the lease unless a live worker holds it; start the heartbeat."""
        if not self.client.set(self.key, self.token, nx=True, ex=self.TTL):
            return False
        threading.Thread(target=self._beat, name=f"lease:{self.key}", daemon=True).start()
        return True

    def _beat(self) -> None:
        while not self._stop.wait(self.BEAT):
            try:
                if self.client.get(self.key) != self.token.encode():
                    return
                self.client.expire(self.key, self.TTL)
            except redis.RedisError:
                continue

    def release(self) -> None:
        """Stop the heartbeat and drop the lease if it is still ours."""
        self._stop.set()
        try:
            if self.client.get(self.key) == self.token.encode():
                self.client.delete(self.key)
        except redis.RedisError:
            pass


@contextmanager
def leased(client: redis.Redis, key: str) -> Iterator[Lease | None]:
    """The lease while the block runs, or None when another live worker holds it."""
    lease = Lease(client, key)
    if not lease.acquire():
        yield None
        return
    try:
        yield lease
    finally:
        lease.release()


class Claims:
    """Atomic per-recipient claims of one chunk, fenced by its lease."""

    def __init__(self, client: redis.Redis, keys: Keys, lease: Lease) -> None:
        self.client = client
        self.keys = keys
        self.lease = lease
        self._claim = client.register_script(CLAIM)

    def claim(self, openids: Sequence[str]) -> tuple[str, int, list[tuple[str, int]]]:
        """("ok"|"halted"|"lost", Redis time in ms, [(openid, first attempt ms)])."""
        raw = self._claim(keys=[self.keys.claims, self.lease.key, self.keys.halt], args=[self.lease.token, *openids])
        verdict = raw[0].decode() if isinstance(raw[0], bytes) else str(raw[0])
        pairs = [(raw[i].decode(), int(raw[i + 1])) for i in range(2, len(raw), 2)]
        return verdict, int(raw[1]), pairs

    def forget(self, openids: Sequence[str]) -> None:
        """Drop the claims of recipients whose outcome is recorded (or who were never reached)."""
        if openids:
            self.client.hdel(self.keys.claims, *openids)
