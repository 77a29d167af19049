"""The web application: `create_app()` for gunicorn, and `python app.py` for the whole service on one machine."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from functools import partial
from typing import Any

from flask import Flask, g, request
from rq import Retry

from bot import errors, logs, metrics
from bot.callback import make_blueprint as callback_blueprint
from bot.config import ConfigError, Settings
from bot.deps import Deps, build_deps
from bot.dispatch import Coordinator, Robot
from bot.health import make_blueprint as health_blueprint
from bot.knowledge import KnowledgeUnavailable
from bot.outbox import send_reply
from bot.protocol import MAX_BODY, Cipher
from bot.replies import Reply
from handlers import ROUTES, Route, admin_kb, fallback, orders, pages, payments, products, visitor
from handlers.broadcasts import make_blueprint as broadcasts_blueprint

log = logging.getLogger("app")


def build_robot(deps: Deps, routes: Iterable[Route]) -> Robot:
    """Register every route, in table order, on a WeRoBot registry bound to deps."""
    robot = Robot(fallback=lambda: fallback.fallback(deps))
    for kind, matcher, adapter in routes:
        robot.add_handler(_bind(deps, matcher, adapter), type=kind)
    return robot


def _bind(deps: Deps, matcher: Any, adapter: Any) -> Any:
    def handler(message: Any) -> Any:
        match = matcher(deps, message)
        return adapter(deps, message, match) if match else None

    handler.__name__ = f"{adapter.__module__}.{adapter.__name__}"
    return handler


def deliver_late(deps: Deps, openid: str, reply: Reply) -> None:
    """Queue a reply that missed the deadline; send it from this thread if the queue is down."""
    try:
        deps.queue.enqueue("workers.replies.deliver_reply", openid, reply.to_json(),
                           retry=Retry(max=3, interval=[2, 10, 30]))
    except Exception:  # noqa: BLE001 - queue down: deliver directly rather than lose the answer
        log.warning("queue unavailable: sending the late reply directly")
        send_reply(deps.wechat, openid, reply)


def create_app(settings: Settings | None = None, *, routes: Iterable[Route] | None = None,
               deps: Deps | None = None, watch: bool = True) -> Flask:
    """Build the Flask app: callback, pages, admin API, health and metrics."""
    settings = settings or Settings.from_env()
    logs.setup(settings.log_level)
    deps = deps or build_deps(settings)
    deps.knowledge.reload()
    if watch:
        deps.knowledge.watch(settings.kb_watch_interval)

    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=max(MAX_BODY, 1024 * 1024))
    app.json.ensure_ascii = False       # subscribers' and the KB's Chinese as UTF-8 in JSON responses
    app.extensions["deps"] = deps
    cipher = Cipher(settings.wechat_token, settings.aes_key, settings.app_id) if settings.aes_key else None
    coordinator = Coordinator(deps.redis, settings.redis_prefix, settings.reply_deadline)
    robot = build_robot(deps, ROUTES if routes is None else routes)
    app.register_blueprint(
        callback_blueprint(settings.wechat_token, cipher, robot, coordinator, partial(deliver_late, deps))
    )
    app.register_blueprint(health_blueprint(deps))
    app.register_blueprint(admin_kb.make_blueprint(deps))
    app.register_blueprint(broadcasts_blueprint(deps))
    products.install(deps)
    for sales in (pages, visitor, orders, payments):
        app.register_blueprint(sales.make_blueprint(deps))
    errors.install(app)
    _instrument(app)
    return app


def _instrument(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _observe(response: Any) -> Any:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.LATENCY.labels(route).observe(time.perf_counter() - g.get("started", time.perf_counter()))
        metrics.REQUESTS.labels(route, str(response.status_code)).inc()
        return response


def main() -> None:
    """Run everything on one machine: web, worker and scheduler, and the sandbox when no credentials are set."""
    from bot.embedded import run

    try:
        run(Settings.from_env())
    except (ConfigError, KnowledgeUnavailable) as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def __getattr__(name: str) -> Any:
    """`app:app` for gunicorn, built on first access so importing this module has no side effects."""
    if name == "app":
        try:
            instance = create_app()
        except (ConfigError, KnowledgeUnavailable) as exc:
            print(exc, file=sys.stderr)
            raise SystemExit(2) from None
        globals()["app"] = instance
        return instance
    raise AttributeError(name)


if __name__ == "__main__":
    main()
