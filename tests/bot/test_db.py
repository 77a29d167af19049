"""The database engine: PostgreSQL sessions cannot sit inside a transaction for ever."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.db import make_engine
from tests.conftest import pg_url


def test_postgresql_ends_a_transaction_left_idle_and_keeps_the_url_options(pg_schema: str) -> None:
    engine = make_engine(pg_url(pg_schema), idle_transaction_timeout=0.5)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW search_path")).scalar() == pg_schema
            assert connection.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "500ms"
        with engine.connect() as connection:
            connection.begin()
            connection.execute(text("SELECT 1"))
            time.sleep(1.5)
            with pytest.raises(DBAPIError):
                connection.execute(text("SELECT 1"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_the_shipped_timeout_is_minutes() -> None:
    engine = make_engine(pg_url("public"))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "5min"
    finally:
        engine.dispose()
