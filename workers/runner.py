"""Running workers: the RQ worker loop plus a loop for cron and delayed jobs, in a process or a thread."""

from __future__ import annotations

import logging
import threading

import redis
from rq import Queue, SimpleWorker
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

from bot.deps import Deps
from workers import use_deps
from workers.cron import build_cron

log = logging.getLogger(__name__)
LEADER_TTL = 30


class ThreadWorker(SimpleWorker):
    """A SimpleWorker that can run off the main thread (no signal handlers, timer-based timeouts)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        return None


def worker_connection(url: str) -> redis.Redis:
    """A connection without a short socket timeout (workers block on BLPOP)."""
    return redis.Redis.from_url(url)


def make_worker(deps: Deps, in_thread: bool = False) -> SimpleWorker:
    """A worker on the service queue, with jobs using `deps`."""
    use_deps(deps)
    connection = worker_connection(deps.settings.redis_url)
    queue = Queue(deps.settings.queue_name, connection=connection)
    cls = ThreadWorker if in_thread else SimpleWorker
    return cls([queue], connection=connection)


def enqueue_delayed(scheduler: RQScheduler) -> None:
    """Move due delayed jobs (enqueue_at, retries with an interval) onto the queue. RQ's per-queue lock keeps
    this to one process at a time; a process without the lock tries to take it on every tick, so the lock of
    a killed worker passes on as soon as it expires."""
    if not scheduler.acquired_locks or scheduler.should_reacquire_locks:
        scheduler.acquire_locks()
    if scheduler.acquired_locks:
        scheduler.heartbeat()
        scheduler.enqueue_scheduled_jobs()


def cron_loop(deps: Deps, stop: threading.Event, tick: float = 1.0) -> None:
    """Enqueue due periodic jobs (only the process holding the leader key does it) and due delayed jobs.

    Delayed jobs are RQ's scheduler driven from this thread rather than from the child process RQ would
    fork: a forked child inherits the worker's database sockets, so a worker killed mid-transaction left
    that transaction open, with its row locks, for as long as the child lived (and it outlived the worker)."""
    connection = worker_connection(deps.settings.redis_url)
    scheduler = build_cron(connection, deps.settings.queue_name)
    delayed = RQScheduler([deps.settings.queue_name], connection=connection)
    leader_key = deps.prefix + "cron:leader"
    me = scheduler.name
    try:
        while not stop.wait(tick):
            try:
                if connection.set(leader_key, me, nx=True, ex=LEADER_TTL) or connection.get(leader_key) == me.encode():
                    connection.expire(leader_key, LEADER_TTL)
                    scheduler.enqueue_jobs()
                enqueue_delayed(delayed)
            except redis.RedisError:
                log.warning("cron: redis unavailable")
            except Exception:
                log.exception("cron: enqueue failed")
    finally:
        try:
            delayed.release_locks()
        except redis.RedisError:
            log.warning("cron: could not release the delayed-jobs lock")


def start_in_thread(deps: Deps) -> threading.Event:
    """Run a worker (with RQ's scheduler) and the cron loop in daemon threads; set the event to stop cron."""
    stop = threading.Event()
    worker = make_worker(deps, in_thread=True)

    def work() -> None:
        while not stop.is_set():
            try:
                worker.work(with_scheduler=False, logging_level="WARNING")
                return
            except redis.RedisError:
                log.warning("worker: redis unavailable, retrying")
                stop.wait(2)

    threading.Thread(target=work, name="rq-worker", daemon=True).start()
    threading.Thread(target=cron_loop, args=(deps, stop), name="rq-cron", daemon=True).start()
    return stop


def run_forever(deps: Deps, burst: bool = False) -> None:
    """The `python -m bot worker` process: worker in the main thread, cron and delayed jobs in a daemon thread."""
    stop = threading.Event()
    cron = threading.Thread(target=cron_loop, args=(deps, stop), name="rq-cron", daemon=True)
    if not burst:
        cron.start()
    try:
        make_worker(deps).work(with_scheduler=False, burst=burst)
    finally:
        stop.set()
        if cron.is_alive():
            cron.join(5)     # lets it release the delayed-jobs lock, so another worker takes over at once
