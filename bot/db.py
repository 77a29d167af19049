"""Database engine, sessions and automatic Alembic migrations."""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
IDLE_TRANSACTION_TIMEOUT = 300.0   # seconds; every transaction here takes milliseconds


def make_engine(url: str, idle_transaction_timeout: float = IDLE_TRANSACTION_TIMEOUT) -> Engine:
    """An engine with pool pre-ping, and SQLite tuned for several threads and processes.

    On PostgreSQL the server ends a session left idle inside a transaction for longer than
    `idle_transaction_timeout`, so a client that stopped mid-transaction (frozen, cut off) cannot hold
    its row locks for ever."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    connect_args: dict[str, object] = {}
    if url.startswith("postgresql"):
        given = make_url(url).query.get("options", ())      # the URL's own options (e.g. search_path) stay
        options = [given] if isinstance(given, str) else list(given)
        options.append(f"-c idle_in_transaction_session_timeout={round(idle_transaction_timeout * 1000)}")
        connect_args = {"connect_timeout": 3, "options": " ".join(options)}
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=5,
                         connect_args=connect_args)


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """The sessionmaker every caller opens its own transactions from."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe to run from several processes at once."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with open(f"{engine.url.database}.migrate-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _upgrade(engine)
        return
    _upgrade(engine)


def _upgrade(engine: Engine) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    log.info("database schema is current")


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any driver error means "down" for health checks
        return False
