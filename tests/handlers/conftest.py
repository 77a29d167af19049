"""Fixtures for the sales tests: the app on a real port (so WeChat Pay notifies reach it) and a notify signer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.handlers.pay_kit import Notifier, PublicApp


@pytest.fixture
def public(settings: Settings, database_url: str, sandbox: Any) -> Iterator[PublicApp]:
    """The app on a real port, on SQLite and on PostgreSQL."""
    served = PublicApp(settings)
    yield served
    served.stop()


@pytest.fixture
def notifier(keys_dir: Path, settings: Settings) -> Notifier:
    """Signs notifies like WeChat Pay."""
    return Notifier(keys_dir, settings)
