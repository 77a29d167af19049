"""The broadcast rate limit is one Redis token bucket shared by every worker process and thread."""

from __future__ import annotations

import threading
import time
from typing import Any

import redis

from handlers.broadcast_redis import RateLimiter, rate_key


def test_two_workers_share_one_rate(settings: Any) -> None:
    rate, per_thread = 50.0, 20
    key = rate_key(settings.redis_prefix)
    workers = [RateLimiter(redis.Redis.from_url(settings.redis_url), key, rate) for _ in range(2)]
    stamps: list[float] = []
    lock = threading.Lock()

    def send(limiter: RateLimiter) -> None:
        for _ in range(per_thread):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=send, args=(w,)) for w in workers for _ in range(3)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    total = len(threads) * per_thread
    burst = workers[0].burst
    assert (total - burst - 2 * workers[0].step) / rate <= elapsed <= total / rate + 0.5
    stamps.sort()
    window = [t for t in stamps if stamps[0] + 1.0 <= t < stamps[0] + 2.0]
    assert len(window) <= rate + workers[0].step * 2
