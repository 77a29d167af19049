"""The worker process: delayed jobs moved by its own thread, one process at a time, and no forked child."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler

from bot.config import Settings
from tests.workers.processes import Workers
from workers.runner import cron_loop, enqueue_delayed


def test_due_delayed_jobs_reach_the_queue_from_one_process_at_a_time(deps: Any) -> None:
    queue = deps.queue
    job = queue.enqueue_at(datetime.now(UTC) - timedelta(seconds=1), "builtins.len", [1, 2])
    later = queue.enqueue_at(datetime.now(UTC) + timedelta(hours=1), "builtins.len", [1])
    first = RQScheduler([queue.name], connection=deps.redis)
    second = RQScheduler([queue.name], connection=deps.redis)
    try:
        enqueue_delayed(first)
        enqueue_delayed(second)
        assert first.acquired_locks == {queue.name}
        assert second.acquired_locks == set()
        assert queue.job_ids == [job.id]
        assert later.id in ScheduledJobRegistry(queue.name, connection=deps.redis).get_job_ids()
    finally:
        first.release_locks()
    enqueue_delayed(second)
    assert second.acquired_locks == {queue.name}
    second.release_locks()


def test_the_cron_thread_moves_delayed_jobs_and_releases_its_lock_when_stopped(deps: Any) -> None:
    queue = deps.queue
    job = queue.enqueue_in(timedelta(seconds=1), "builtins.len", [1])
    stop = threading.Event()
    thread = threading.Thread(target=cron_loop, args=(deps, stop, 0.2), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while job.id not in queue.job_ids:
            assert time.monotonic() < deadline, "the delayed job never reached the queue"
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(10)
    assert not deps.redis.exists(RQScheduler.get_locking_key(queue.name))


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def test_a_worker_process_forks_no_child_and_hands_its_lock_back_when_stopped(
    settings: Settings, tmp_path: Path
) -> None:
    workers = Workers(settings, tmp_path)
    workers.start(1)
    try:
        process = workers.processes[0]
        deadline = time.monotonic() + 60
        lock = RQScheduler.get_locking_key(settings.queue_name)
        redis = Redis.from_url(settings.redis_url)
        while not redis.exists(lock):
            assert process.poll() is None, "the worker exited"
            assert time.monotonic() < deadline, "the worker never took the delayed-jobs lock"
            time.sleep(0.2)
        assert _children(process.pid) == []
    finally:
        workers.stop()
    assert not redis.exists(lock), "a stopped worker keeps the delayed-jobs lock until it expires"
