"""Shared fixtures: real Redis (prefix per run), SQLite and PostgreSQL (schema per run), the sandbox over HTTP."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis as redis_lib
import requests
from werkzeug.serving import make_server

from bot.config import ROOT, SANDBOX_APP_ID, SANDBOX_APP_SECRET, Settings
from bot.sandbox import SandboxClient, SandboxServer, dev_config, start_in_thread
from bot.wire import Signer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_DSN = os.environ.get("TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TOKEN = "test-token"
RUN = uuid.uuid4().hex[:8]


@pytest.fixture(autouse=True)
def _no_real_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that reaches the real WeChat hosts."""
    original = requests.Session.request

    def guarded(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if "weixin.qq.com" in str(url):
            raise AssertionError(f"test tried to reach the real platform: {url}")
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", guarded)


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Development keys shared by the sandbox and the service under test."""
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="session")
def sandbox_server(keys_dir: Path) -> Iterator[SandboxServer]:
    """One platform sandbox for the run, over real HTTP on an ephemeral port."""
    server = start_in_thread(dev_config(keys_dir, app_id=SANDBOX_APP_ID, app_secret=SANDBOX_APP_SECRET,
                                        notify_retry_delays=(0.3, 0.6, 1.0)))
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxClient:
    """The sandbox's client, reset before the test."""
    sandbox_server.client.reset()
    return sandbox_server.client


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix unique to the test; its keys are deleted afterwards."""
    prefix = f"test:{RUN}:{uuid.uuid4().hex[:6]}:"
    yield prefix
    client = redis_lib.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(prefix + "*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start:start + 500])


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A PostgreSQL schema for this run, dropped at the end."""
    schema = f"t_{RUN}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def pg_url(schema: str) -> str:
    """A SQLAlchemy URL whose connections use `schema`."""
    dsn = PG_DSN.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{dsn}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using it runs on SQLite and on PostgreSQL (a fresh schema per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = f"t_{RUN}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield pg_url(schema)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def settings(tmp_path: Path, redis_prefix: str, sandbox_server: SandboxServer, keys_dir: Path,
             request: pytest.FixtureRequest) -> Settings:
    """Settings for one test: sandbox platform, unique Redis prefix and queue, SQLite unless overridden."""
    from bot.embedded import dev_pay_settings
    from bot.sandbox import ensure_dev_keys

    database = (request.getfixturevalue("database_url") if "database_url" in request.fixturenames
                else f"sqlite:///{tmp_path / 'app.db'}")
    return Settings(
        wechat_token=TOKEN,
        app_id=SANDBOX_APP_ID,
        app_secret=SANDBOX_APP_SECRET,
        aes_key=AES_KEY,
        api_base_url=sandbox_server.url,
        oauth_base_url=sandbox_server.url,
        sandbox=True,
        pay=dev_pay_settings(ensure_dev_keys(keys_dir), sandbox_server.url),
        public_base_url="http://127.0.0.1:8000",
        redis_url=REDIS_URL,
        redis_prefix=redis_prefix,
        queue_name=redis_prefix.rstrip(":").replace(":", "-"),
        database_url=database,
        knowledge_dir=ROOT / "knowledge",
        index_dir=ROOT / "var" / "test-index",
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-" + RUN,
        admin_token="admin-secret",
        reply_deadline=4.5,
    )


@pytest.fixture
def app(settings: Settings) -> Any:
    """The Flask app under test (no KB file watcher)."""
    from app import create_app

    return create_app(settings, watch=False)


@pytest.fixture
def deps(app: Any) -> Any:
    """The app's Deps."""
    return app.extensions["deps"]


@pytest.fixture
def client(app: Any) -> Any:
    """Flask test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    """Click runner."""
    return app.test_cli_runner()


class LiveServer:
    """The app served over real HTTP in a thread."""

    def __init__(self, app: Any) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def live(app: Any) -> Iterator[LiveServer]:
    """The app on an ephemeral port."""
    server = LiveServer(app)
    yield server
    server.stop()


class WeChatActions:
    """Signs, encrypts and posts callbacks like the platform, and reads the replies."""

    def __init__(self, post: Any, signer: Signer) -> None:
        self.post_raw = post
        self.signer = signer

    def send(self, fields: dict[str, Any], mode: str = "plain") -> tuple[int, dict[str, Any] | None, bytes]:
        """Post one message; (status, reply dict or None for success, raw body)."""
        query, body = self.signer.request(fields, mode)
        status, raw = self.post_raw(query, body)
        reply = self.signer.read_reply(raw) if status == 200 else None
        return status, reply, raw


@pytest.fixture
def wechat(client: Any) -> WeChatActions:
    """A platform stand-in posting to the Flask test client."""

    def post(query: str, body: bytes) -> tuple[int, bytes]:
        response = client.post(f"/wechat?{query}", data=body, content_type="text/xml")
        return response.status_code, response.data

    return WeChatActions(post, Signer(TOKEN, AES_KEY, SANDBOX_APP_ID))


@pytest.fixture
def worker(deps: Any) -> Any:
    """Run queued jobs to completion in this process."""
    from workers.runner import make_worker

    def run() -> bool:
        return make_worker(deps).work(burst=True, logging_level="WARNING")

    return run
