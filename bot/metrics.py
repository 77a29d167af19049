"""Prometheus metrics of the service (one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter("kp_http_requests_total", "HTTP requests by route and status", ["route", "status"])
LATENCY = Histogram(
    "kp_http_request_seconds",
    "HTTP request latency by route",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 4.5, 10),
)
REPLIES = Counter("kp_replies_total", "Callback replies by kind", ["kind"])
HANDLER_RUNS = Counter("kp_handler_runs_total", "Messages actually handled (not deduplicated)", ["type"])
DEDUPE_HITS = Counter("kp_dedupe_hits_total", "Retried messages answered from the first attempt")
DEFERRED = Counter("kp_deferred_replies_total", "Replies too slow for the deadline, delivered later")
HANDLER_ERRORS = Counter("kp_handler_errors_total", "Handlers that raised", ["type"])
JOBS = Counter("kp_jobs_total", "Background jobs by name and outcome", ["name", "outcome"])
KB_RELOADS = Counter("kp_kb_reloads_total", "Knowledge-base reload attempts by outcome", ["outcome"])
