"""`/healthz` (Redis, database, index) and `/metrics` (Prometheus)."""

from __future__ import annotations

import os

from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from bot import db
from bot.deps import Deps


def check(deps: Deps) -> dict[str, object]:
    """Each dependency's state; `ok` only when all are up."""
    try:
        redis_ok = bool(deps.redis.ping())
    except Exception:  # noqa: BLE001 - any client error means down
        redis_ok = False
    database_ok = db.ping(deps.engine)
    index_ok = deps.knowledge.ready
    return {
        "ok": redis_ok and database_ok and index_ok,
        "redis": "up" if redis_ok else "down",
        "database": "up" if database_ok else "down",
        "index": "ready" if index_ok else "not loaded",
    }


def make_blueprint(deps: Deps) -> Blueprint:
    """Health and metrics routes."""
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz() -> tuple[Response, int]:
        state = check(deps)
        return jsonify(state), 200 if state["ok"] else 503

    @bp.get("/metrics")
    def metrics() -> Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    return bp
