"""`/healthz` (Redis, database, index) and `/metrics` (Prometheus: this process, plus the job queue)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from bot import db
from bot.deps import Deps
from bot.knowledge import Knowledge
from bot.queue_metrics import QueueCollector

PROBE_TIMEOUT = 2.0


class Prober:
    """Runs each dependency's probe in the background, one at a time per dependency, and waits a bounded time.

    A dependency that hangs (a frozen server, a network partition) is reported down instead of hanging the
    health check, and its stuck probe is waited on again rather than piling up new ones.
    """

    def __init__(self, probes: dict[str, Callable[[], object]], timeout: float = PROBE_TIMEOUT) -> None:
        self.probes = probes
        self.timeout = timeout
        self.pool = ThreadPoolExecutor(max_workers=len(probes), thread_name_prefix="health")
        self.pending: dict[str, Future[object]] = {}
        self.lock = threading.Lock()

    def run(self) -> dict[str, bool]:
        """Which dependencies answered their probe in time."""
        with self.lock:
            for name, probe in self.probes.items():
                if name not in self.pending or self.pending[name].done():
                    self.pending[name] = self.pool.submit(probe)
            futures = dict(self.pending)
        wait(futures.values(), timeout=self.timeout)
        return {name: _succeeded(future) for name, future in futures.items()}


def _succeeded(future: Future[object]) -> bool:
    return future.done() and future.exception() is None and bool(future.result())


def check(deps: Deps, prober: Prober) -> dict[str, object]:
    """Each dependency's state; `ok` only when all are up."""
    up = prober.run()
    index_ok = deps.knowledge.ready
    return {
        "ok": up["redis"] and up["database"] and index_ok,
        "redis": "up" if up["redis"] else "down",
        "database": "up" if up["database"] else "down",
        "index": "ready" if index_ok else "not loaded",
        "knowledge": knowledge_state(deps.knowledge),
    }


def knowledge_state(knowledge: Knowledge) -> str:
    """Whether the KB serving is the folder as it is now, or the last good one while an edit fails its check."""
    if knowledge.serving_copy:
        return "last good copy (the folder fails its check)"
    if knowledge.rejected:
        return f"last good load (the folder's latest edit fails its check: {len(knowledge.rejected)} problems)"
    return "current"


def make_blueprint(deps: Deps) -> Blueprint:
    """Health and metrics routes."""
    bp = Blueprint("health", __name__)
    prober = Prober({"redis": deps.redis.ping, "database": lambda: db.ping(deps.engine)})

    @bp.get("/healthz")
    def healthz() -> tuple[Response, int]:
        state = check(deps, prober)
        return jsonify(state), 200 if state["ok"] else 503

    queue_state = CollectorRegistry()
    queue_state.register(QueueCollector(deps.queue))

    @bp.get("/metrics")
    def metrics() -> Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            own = generate_latest(registry)
        else:
            own = generate_latest()
        return Response(own + generate_latest(queue_state), content_type=CONTENT_TYPE_LATEST)

    return bp
