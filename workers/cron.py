"""Periodic jobs, declared in one place with rq's cron.register."""

from __future__ import annotations

from redis import Redis
from rq import cron
from rq.cron import CronScheduler

from workers import broadcasts, housekeeping, sales


def build_cron(connection: Redis, queue_name: str) -> CronScheduler:
    """A CronScheduler holding every periodic job of the service."""
    cron.register(housekeeping.reload_knowledge, queue_name, interval=300, name="reload-knowledge")
    cron.register(housekeeping.prune_unanswered, queue_name, interval=21600, name="prune-unanswered")
    cron.register(sales.close_expired_orders, queue_name, interval=60, name="close-expired-orders")
    cron.register(sales.refund_pending, queue_name, interval=600, name="refund-pending")
    cron.register(sales.tell_untold, queue_name, interval=300, name="tell-untold-buyers")
    cron.register(broadcasts.sweep, queue_name, interval=5, name="broadcast-sweep")
    return cron.create_cron(connection)
