"""`/healthz`, `/metrics`, and start-up refusing a missing or malformed environment variable."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import pytest
import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue

from bot.config import ROOT
from bot.queue_metrics import QueueCollector
from bot.replies import Reply
from bot.wire import text_message


def scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics keyed by (name, sorted labels)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and response.content_type.count("charset") == 1
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], metric: str, **labels: str) -> float:
    """One sample's value, 0 when absent."""
    return samples.get((metric, tuple(sorted(labels.items()))), 0.0)


def test_healthz_is_200_with_every_dependency_up(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    state = response.get_json()
    assert (state["ok"], state["redis"], state["database"], state["index"]) == (True, "up", "up", "ready")


def test_metrics_count_requests_latency_replies_dedupe_and_jobs(client: Any, wechat: Any, deps: Any, worker: Any,
                                                                sandbox: Any) -> None:
    before = scrape(client)
    message = text_message("o-metrics", "今天天气怎么样", msg_id=880001)
    first = wechat.send(message)
    retry = wechat.send(message)
    assert first[0] == retry[0] == 200 and first[1] is not None
    assert first[1]["Content"] == retry[1]["Content"]
    wechat.send(text_message("o-metrics", "hi"), mode="safe")
    deps.queue.enqueue("workers.replies.deliver_reply", "o-metrics", Reply.of_text("稍后送达").to_json())
    worker()
    after = scrape(client)

    def grew(metric: str, by: float = 1, **labels: str) -> bool:
        return value(after, metric, **labels) - value(before, metric, **labels) >= by

    assert grew("kp_http_requests_total", 3, route="/wechat", status="200")
    assert grew("kp_http_request_seconds_count", 3, route="/wechat")
    assert grew("kp_http_request_seconds_bucket", 3, route="/wechat", le="+Inf")
    assert value(after, "kp_http_request_seconds_sum", route="/wechat") > 0
    assert grew("kp_replies_total", 3, kind="fallback")
    assert grew("kp_dedupe_hits_total")
    assert grew("kp_handler_runs_total", 2, type="text")
    assert grew("kp_jobs_total", name="deliver_reply", outcome="ok")
    assert any(m["text"] == "稍后送达" for m in sandbox.messages("o-metrics"))


def test_metrics_show_the_job_queue_by_state_as_redis_holds_it(client: Any, deps: Any, worker: Any) -> None:
    deps.queue.enqueue_in(timedelta(hours=1), "builtins.print", "later")
    deps.queue.enqueue("builtins.int", "not a number")          # fails when run
    time.sleep(0.05)
    waiting = scrape(client)
    assert value(waiting, "kp_queue_up") == 1
    assert (value(waiting, "kp_queue_jobs", state="queued"), value(waiting, "kp_queue_jobs", state="scheduled"),
            value(waiting, "kp_queue_jobs", state="failed")) == (1, 1, 0)
    assert value(waiting, "kp_queue_oldest_waiting_seconds") >= 0.05
    worker()
    ran = scrape(client)
    assert (value(ran, "kp_queue_jobs", state="queued"), value(ran, "kp_queue_jobs", state="failed")) == (0, 1)
    assert value(ran, "kp_queue_oldest_waiting_seconds") == 0 and value(ran, "kp_workers") == 0


def test_queue_metrics_say_only_that_the_queue_is_unreadable_when_redis_is_down() -> None:
    registry = CollectorRegistry()
    dead = redis.Redis(port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    registry.register(QueueCollector(Queue("q", connection=dead)))
    lines = [line for line in generate_latest(registry).decode().splitlines() if not line.startswith("#")]
    assert lines == ["kp_queue_up 0.0"]


def test_refusals_are_counted_by_status(client: Any) -> None:
    before = scrape(client)
    assert client.post("/wechat?timestamp=1&nonce=n&signature=x", data=b"<xml/>").status_code == 403
    after = scrape(client)
    assert value(after, "kp_replies_total", kind="refused_403") - value(before, "kp_replies_total",
                                                                         kind="refused_403") == 1
    assert value(after, "kp_http_requests_total", route="/wechat", status="403") > value(
        before, "kp_http_requests_total", route="/wechat", status="403")


def test_a_port_already_in_use_stops_start_up_with_one_line(tmp_path: Any) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "PORT", "KNOWLEDGE_"))}
        env.update(VAR_DIR=str(tmp_path), PORT=str(taken.getsockname()[1]), PYTHONWARNINGS="ignore")
        done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=60)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("configuration error: PORT: something already listens")


ENTRY_POINTS = {"app.py": [sys.executable, "app.py"], "worker": [sys.executable, "-m", "bot", "worker"]}
BAD_ENVIRONMENTS = [
    ({"WECHAT_AES_KEY": "bad"}, "WECHAT_AES_KEY"),
    ({"BROADCAST_RATE": "x"}, "BROADCAST_RATE"),
    ({"PORT": "eighty"}, "PORT"),
    ({"WECHAT_API_BASE_URL": "not a url"}, "WECHAT_API_BASE_URL"),
    ({"WECHAT_APP_ID": "wx123", "WECHAT_APP_SECRET": "s3cret"}, "WECHAT_TOKEN"),
    ({"WECHAT_APP_ID": "wx123"}, "WECHAT_APP_SECRET"),
    ({"WECHAT_PAY_MCH_ID": "1900000001"}, "WECHAT_PAY_PRIVATE_KEY"),
    ({"KNOWLEDGE_DIR": "/nonexistent/kb"}, "KNOWLEDGE_DIR"),
    ({"PORT": "99999"}, "PORT"),
    ({"BROADCAST_RATE": "nan"}, "BROADCAST_RATE"),
    ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
    ({"REDIS_URL": "nonsense"}, "REDIS_URL"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
]


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize(("bad", "name"), BAD_ENVIRONMENTS, ids=[n for _, n in BAD_ENVIRONMENTS])
def test_bad_environment_stops_start_up_with_one_line_naming_it(entry: str, bad: dict[str, str], name: str,
                                                                tmp_path: Any) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "BROADCAST_", "PORT", "KNOWLEDGE_"))}
    env.update(VAR_DIR=str(tmp_path), REDIS_URL="redis://127.0.0.1:1/0", PYTHONWARNINGS="ignore")
    env.update(bad)
    done = subprocess.run(ENTRY_POINTS[entry], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert name in lines[0]
    assert "Traceback" not in done.stderr + done.stdout
