"""Crash safety: a 20,000-subscriber broadcast survives kill -9 of every worker, twice; each member gets one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from bot.config import ROOT, Settings
from bot.models import Subscriber
from bot.sandbox import SandboxClient
from handlers import broadcasts
from handlers.subscribers import sync
from tests.workers.processes import Workers

pytestmark = pytest.mark.slow
PG_DSN = os.environ.get("TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
AUDIENCE = 20_000
OUTSIDERS = 300
LEFT = 50
WORKERS = 2
RATE = 400
TEMPLATE = "TM-CRASH-TEST"
SEND = "/cgi-bin/message/template/send"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[SandboxClient]:
    """A sandbox in its own process, so the service's workers and the platform do not share a GIL."""
    port = free_port()
    log = (tmp_path / "sandbox.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--keys", str(tmp_path / "keys")],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    client = SandboxClient(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    while True:
        try:
            client.faults()
            break
        except Exception:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
            time.sleep(0.2)
    yield client
    process.terminate()
    process.wait(10)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL schema, the production database for workers in several processes."""
    schema = f"crash_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_DSN.replace('postgresql://', 'postgresql+psycopg://', 1)}?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _subscribed(deps: Any) -> list[str]:
    with deps.sessions() as session:
        return list(session.scalars(select(Subscriber.openid).where(Subscriber.subscribed.is_(True))))


def wait_for(deps: Any, broadcast_id: int, done: int, timeout: float, ended: bool = False) -> dict[str, Any]:
    """Poll until `done` recipients have a final outcome (or the broadcast ends); with `ended`, until the broadcast
    itself has ended, which the worker that settles the last recipient records a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        status = broadcasts.status(deps, broadcast_id)
        finished = status["sent"] + status["failed"] + status["skipped"] + status["unknown"]
        if (finished >= done and not ended) or status["state"] in ("done", "cancelled", "paused"):
            return status
        assert time.monotonic() < deadline, f"stuck: {status}"
        time.sleep(0.5)


def test_broadcast_survives_workers_killed_twice(
    settings: Settings, platform: SandboxClient, pg_database: str, tmp_path: Path
) -> None:
    from app import create_app

    local = settings.with_(api_base_url=platform.base_url, oauth_base_url=platform.base_url,
                           database_url=pg_database, broadcast_rate=float(RATE))
    app = create_app(local, watch=False)
    deps, client = app.extensions["deps"], app.test_client()
    platform.seed_users(AUDIENCE, tags=["course-buyers"], prefix="oCRASH")
    outsiders = platform.seed_users(OUTSIDERS, prefix="oOUT")["openids"]
    assert sync(deps).followers == AUDIENCE + OUTSIDERS
    members = sorted(o for o in _subscribed(deps) if o.startswith("oCRASH"))
    assert len(members) == AUDIENCE
    left = members[::AUDIENCE // LEFT][:LEFT]
    for openid in left:
        platform.unsubscribe(openid)

    platform.fault(SEND, latency_ms=20)
    platform.fault(SEND, errcode=-1, rate=0.05)
    platform.fault(SEND, drop=True, rate=0.01)
    response = client.post("/admin/broadcasts", headers={"Authorization": "Bearer admin-secret"}, json={
        "name": "课程更新", "template_id": TEMPLATE, "data": {"thing1": {"value": "第 8 课已上线"}},
        "url": "https://example.com/course", "audience": {"tag": "course-buyers"},
    })
    assert response.status_code == 201, response.get_json()
    broadcast_id = response.get_json()["id"]
    assert client.post(f"/admin/broadcasts/{broadcast_id}/start",
                       headers={"Authorization": "Bearer admin-secret"}).status_code == 200

    workers = Workers(local, tmp_path)
    try:
        workers.start(WORKERS)
        wait_for(deps, broadcast_id, AUDIENCE // 4, timeout=90)
        workers.kill()
        workers.start(WORKERS)
        wait_for(deps, broadcast_id, AUDIENCE * 2 // 3, timeout=90)
        workers.kill()
        workers.start(WORKERS)
        status = wait_for(deps, broadcast_id, AUDIENCE, timeout=120, ended=True)
    finally:
        workers.stop()

    assert status["state"] == "done", status
    assert status["total"] == AUDIENCE
    assert status["unknown"] == 0 and status["failed"] == 0, status
    assert status["skipped"] == LEFT
    assert status["sent"] + status["skipped"] == AUDIENCE
    report = platform.summary(TEMPLATE)
    assert report["duplicates"] == {}
    expected = set(members) - set(left)
    assert set(report["counts"]) == expected
    assert report["messages"] == len(expected) == status["sent"]
    assert not set(report["counts"]) & set(outsiders)
    assert platform.calls_summary()[SEND].get("dropped", 0) > 0
