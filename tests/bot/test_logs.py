"""Logging setup: routine records stay out of the service log, events stay in."""

from __future__ import annotations

import logging

import pytest

from bot import logs


def test_each_periodic_enqueue_is_not_logged_but_the_schedule_is(caplog: pytest.LogCaptureFixture) -> None:
    logs.setup()
    cron = logging.getLogger("rq.cron")
    with caplog.at_level(logging.INFO):
        cron.info("Registered 'workers.broadcasts.sweep' to run on default every 5 seconds")
        cron.info("Enqueued job sweep to queue default")
    assert [r.getMessage() for r in caplog.records] == [
        "Registered 'workers.broadcasts.sweep' to run on default every 5 seconds"]


def test_openids_are_logged_as_a_stable_pseudonym() -> None:
    assert logs.hash_openid("o-abc") == logs.hash_openid("o-abc") != logs.hash_openid("o-abd")
    assert "o-abc" not in logs.hash_openid("o-abc") and logs.hash_openid(None) == "-"
