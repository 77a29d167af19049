"""Redis or the database going away while serving: /healthz says 503, the callback keeps answering, both recover."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from prometheus_client import REGISTRY

from bot.config import SANDBOX_APP_ID, Settings
from bot.redis_conn import PrivateRedis, free_port, start_private
from bot.wire import Signer, event_message, text_message
from tests.conftest import AES_KEY, PG_DSN, TOKEN

ANSWER_SECONDS = 5.0
SIGNER = Signer(TOKEN, AES_KEY, SANDBOX_APP_ID)


class RedisUnderTest:
    """A private redis-server on a fixed port that the test can stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.server: PrivateRedis | None = None
        self.start()

    @property
    def url(self) -> str:
        """Where the server listens (also while it is stopped)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (again) on the same port."""
        self.server = start_private(self.port, self.workdir)

    def stop(self) -> None:
        """Stop the server; clients see connection refused."""
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisUnderTest]:
    """A redis-server owned by this test."""
    server = RedisUnderTest(tmp_path / "redis")
    yield server
    server.stop()


class PostgresRole:
    """A login role owning its own schema, whose logins the test can forbid and its sessions end."""

    def __init__(self) -> None:
        self.name = f"kp_outage_{uuid.uuid4().hex[:8]}"
        self.admin("CREATE ROLE {0} LOGIN", f"CREATE SCHEMA {self.name} AUTHORIZATION {self.name}")

    @property
    def url(self) -> str:
        """SQLAlchemy URL connecting as the role, to its schema."""
        return self.url_via(PG_DSN.split("@", 1)[1].split("/", 1)[0])

    def url_via(self, address: str) -> str:
        """The same URL through another host:port (a proxy)."""
        database = PG_DSN.rsplit("/", 1)[1]
        return f"postgresql+psycopg://{self.name}@{address}/{database}?options=-csearch_path%3D{self.name}"

    def admin(self, *statements: str) -> None:
        """Run statements as the superuser ({0} is the role name)."""
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement.format(self.name))

    def go_away(self) -> None:
        """No new logins, and every open session of the role terminated."""
        self.admin("ALTER ROLE {0} NOLOGIN",
                   "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{0}'")

    def come_back(self) -> None:
        """Logins allowed again."""
        self.admin("ALTER ROLE {0} LOGIN")

    def drop(self) -> None:
        """Remove the schema and the role."""
        self.admin("ALTER ROLE {0} LOGIN",
                   "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{0}'",
                   "DROP SCHEMA {0} CASCADE", "DROP ROLE {0}")


@pytest.fixture
def pg_role() -> Iterator[PostgresRole]:
    """A PostgreSQL role and schema owned by this test."""
    role = PostgresRole()
    yield role
    role.drop()


class FreezableProxy:
    """A TCP relay to PostgreSQL that can stop relaying while keeping every connection open (a hung server)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.frozen = threading.Event()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [downstream, upstream]
            for source, sink in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()

    def _relay(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while self.frozen.is_set() and not self.closed.is_set():
                    time.sleep(0.02)
                sink.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        """Stop relaying and close every connection."""
        self.closed.set()
        for sock in [self.listener, *self.sockets]:
            sock.close()


def build(settings: Settings, **changes: Any) -> Any:
    """The app under test with some settings changed, and its test client."""
    from app import create_app

    return create_app(settings.with_(**changes), watch=False).test_client()


def send(client: Any, fields: dict[str, Any], mode: str = "plain") -> tuple[int, dict[str, Any] | None]:
    """Post one signed message; checks it was answered in time and never with a 5xx."""
    query, body = SIGNER.request(fields, mode)
    started = time.monotonic()
    response = client.post(f"/wechat?{query}", data=body, content_type="text/xml")
    assert time.monotonic() - started < ANSWER_SECONDS
    assert response.status_code == 200, response.data[:300]
    return response.status_code, SIGNER.read_reply(response.data)


def sample(name: str, **labels: str) -> float:
    """A metric of this process (0 when not yet observed)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def wait_healthy(client: Any, timeout: float = 10.0) -> dict[str, Any]:
    """Poll /healthz until 200; fails the test when the service does not recover by itself."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/healthz")
        if response.status_code == 200:
            return response.get_json()
        assert time.monotonic() < deadline, f"service did not recover: {response.get_json()}"
        time.sleep(0.2)


def assert_deduplicates(client: Any, openid: str, msg_id: int) -> None:
    """Two copies of one message: one handler run, one dedupe hit, identical replies."""
    runs, hits = sample("kp_handler_runs_total", type="text"), sample("kp_dedupe_hits_total")
    message = text_message(openid, "怎么申请退款", msg_id=msg_id)
    _, first = send(client, message)
    _, second = send(client, message)
    assert first is not None and second is not None and first["Content"] == second["Content"]
    assert sample("kp_handler_runs_total", type="text") - runs == 1
    assert sample("kp_dedupe_hits_total") - hits == 1


MESSAGES = [
    ("text", "怎么申请退款"),
    ("text", "推荐一门 Python 课"),
    ("text", "买 asyncio 入门"),
    ("text", "1"),
    ("text", "今天天气怎么样"),
    ("event", "subscribe"),
    ("event", "CLICK"),
    ("event", "unsubscribe"),
]


def send_everything(client: Any, openid: str) -> list[dict[str, Any] | None]:
    """Every kind of message the service handles, in plaintext and safe mode; all must be answered."""
    replies = []
    for index, (kind, value) in enumerate(MESSAGES):
        fields = text_message(openid, value) if kind == "text" else event_message(openid, value, key="menu_faq")
        replies.append(send(client, fields, mode="safe" if index % 2 else "plain")[1])
    return replies


def test_redis_outage_degrades_then_recovers_by_itself(settings: Settings, private_redis: RedisUnderTest) -> None:
    client = build(settings, redis_url=private_redis.url)
    assert wait_healthy(client)["redis"] == "up"
    assert_deduplicates(client, "o-outage-r", 7_000_001)

    private_redis.stop()
    started = time.monotonic()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["redis"] == "down"
    assert health.get_json()["database"] == "up"
    assert time.monotonic() - started < 2
    replies = send_everything(client, "o-outage-r")
    texts = [r for r in replies if r is not None]
    assert texts and all(r["MsgType"] in ("text", "news") for r in texts)
    message = text_message("o-outage-r", "怎么申请退款", msg_id=7_000_002)
    assert send(client, message)[1] is not None and send(client, message)[1] is not None

    private_redis.start()
    assert wait_healthy(client)["redis"] == "up"
    assert_deduplicates(client, "o-outage-r", 7_000_003)


def test_frozen_redis_still_gets_an_answer_in_time(settings: Settings, private_redis: RedisUnderTest) -> None:
    import signal

    client = build(settings, redis_url=private_redis.url)
    wait_healthy(client)
    assert private_redis.server is not None
    process = private_redis.server.process
    process.send_signal(signal.SIGSTOP)
    try:
        send(client, text_message("o-frozen", "怎么申请退款", msg_id=7_100_001))
        assert client.get("/healthz").status_code == 503
    finally:
        process.send_signal(signal.SIGCONT)
    wait_healthy(client)
    assert_deduplicates(client, "o-frozen", 7_100_002)


def test_database_outage_degrades_then_recovers_by_itself(settings: Settings, pg_role: PostgresRole) -> None:
    from bot.models import Subscriber

    client = build(settings, database_url=pg_role.url)
    assert wait_healthy(client)["database"] == "up"
    deps = client.application.extensions["deps"]

    pg_role.go_away()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["database"] == "down" and health.get_json()["redis"] == "up"
    replies = send_everything(client, "o-outage-d")
    assert any(r is not None and r["MsgType"] == "text" for r in replies)
    assert_deduplicates(client, "o-outage-d", 7_200_001)

    pg_role.come_back()
    assert wait_healthy(client)["database"] == "up"
    send(client, event_message("o-outage-d2", "subscribe"))
    with deps.sessions() as session:
        row = session.get(Subscriber, "o-outage-d2")
        assert row is not None and row.subscribed


def test_a_late_answer_during_a_redis_outage_is_delivered_directly(settings: Settings, private_redis: RedisUnderTest,
                                                                   sandbox: Any) -> None:
    from app import create_app
    from bot.replies import Reply

    def slow(deps: Any, message: Any, match: Any) -> Reply:
        time.sleep(1.0)
        return Reply.of_text("迟到的答案")

    app = create_app(settings.with_(redis_url=private_redis.url, reply_deadline=0.3),
                     routes=(("text", lambda deps, message: True, slow),), watch=False)
    client = app.test_client()
    wait_healthy(client)
    private_redis.stop()
    started = time.monotonic()
    _, reply = send(client, text_message("o-late-outage", "你好", msg_id=7_300_001))
    assert reply is None and time.monotonic() - started < 1.0
    delivered = sandbox.wait_for_messages("o-late-outage", timeout=10)
    assert [m["text"] for m in delivered] == ["迟到的答案"]


def test_a_hung_database_is_reported_down_in_time_and_answers_arrive_later(settings: Settings,
                                                                         pg_role: PostgresRole,
                                                                         sandbox: Any) -> None:
    from urllib.parse import urlsplit

    from app import create_app
    from workers.runner import make_worker

    server = urlsplit(PG_DSN)
    proxy = FreezableProxy((server.hostname or "127.0.0.1", server.port or 5432))
    try:
        app = create_app(settings.with_(database_url=pg_role.url_via(proxy.address), reply_deadline=1.0), watch=False)
        client = app.test_client()
        wait_healthy(client)

        proxy.frozen.set()
        for _ in range(3):
            started = time.monotonic()
            health = client.get("/healthz")
            assert health.status_code == 503 and health.get_json()["database"] == "down"
            assert health.get_json()["redis"] == "up"
            assert time.monotonic() - started < 3
        _, welcome = send(client, event_message("o-hung-db", "subscribe"))
        send(client, text_message("o-hung-db", "怎么申请退款"))

        assert welcome is None

        proxy.frozen.clear()
        wait_healthy(client)
        deadline = time.monotonic() + 15
        while not sandbox.messages("o-hung-db") and time.monotonic() < deadline:
            make_worker(app.extensions["deps"]).work(burst=True, logging_level="WARNING")
            time.sleep(0.2)
        texts = [m["text"] for m in sandbox.messages("o-hung-db")]
        assert texts == [app.extensions["deps"].knowledge.engine.kb.account.welcome]
    finally:
        proxy.close()
