"""Prometheus view of the RQ queue, read from Redis at scrape time, so it covers every worker process."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis import RedisError
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import DeferredJobRegistry, FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

log = logging.getLogger(__name__)
REGISTRIES = {"started": StartedJobRegistry, "failed": FailedJobRegistry, "scheduled": ScheduledJobRegistry,
              "deferred": DeferredJobRegistry}


class QueueCollector(Collector):
    """Jobs by state, the age of the oldest waiting job and the workers listening, for one queue. Reading
    changes nothing (no registry clean-up); when Redis does not answer, only `kp_queue_up 0` is reported."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("kp_queue_up", "1 when the job queue's state could be read from Redis")
        try:
            jobs, oldest, workers = self.read()
        except RedisError as exc:
            log.warning("queue metrics unavailable: %s", exc.__class__.__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        by_state = GaugeMetricFamily("kp_queue_jobs", "Jobs of the service queue by state", labels=["state"])
        for state, count in jobs.items():
            by_state.add_metric([state], count)
        yield by_state
        yield GaugeMetricFamily("kp_queue_oldest_waiting_seconds",
                                "How long the job at the head of the queue has waited (0 when none waits)",
                                value=oldest)
        yield GaugeMetricFamily("kp_workers", "RQ workers listening on the service queue", value=workers)

    def read(self) -> tuple[dict[str, int], float, int]:
        """(jobs by state, seconds the head of the queue has waited, workers)."""
        jobs = {"queued": self.queue.count}
        for state, registry in REGISTRIES.items():
            jobs[state] = registry(queue=self.queue).get_job_count(cleanup=False)
        return jobs, self.head_wait(), Worker.count(queue=self.queue)

    def head_wait(self) -> float:
        """Seconds since the job at the head of the queue was enqueued; 0 when none waits (or it just left)."""
        head = self.queue.get_job_ids(0, 1)
        try:
            job = Job.fetch(head[0], connection=self.queue.connection) if head else None
        except NoSuchJobError:
            return 0.0
        if job is None or job.enqueued_at is None:
            return 0.0
        at = job.enqueued_at if job.enqueued_at.tzinfo else job.enqueued_at.replace(tzinfo=UTC)   # RQ keeps UTC
        return max(0.0, time.time() - at.timestamp())
