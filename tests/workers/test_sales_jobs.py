"""Sales jobs: unpaid orders close after 30 minutes (or are granted if paid), reconcile repairs lost notifies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from click.testing import CliRunner
from sqlalchemy import update

from bot.models import Order, utcnow
from tests.handlers.pay_kit import BUYER, ITEM, counts, order_row


def _order(client: Any, deps: Any, item_id: str = ITEM) -> str:
    client.get(f"/articles/{item_id}?t={deps.identity.link_token(BUYER)}")
    return client.post(f"/articles/{item_id}/order").get_json()["out_trade_no"]


def _age(deps: Any, out_trade_no: str, minutes: int) -> None:
    with deps.sessions.begin() as session:
        session.execute(update(Order).where(Order.out_trade_no == out_trade_no)
                        .values(created_at=utcnow() - timedelta(minutes=minutes)))


def test_orders_unpaid_for_30_minutes_are_closed_and_paid_ones_granted(client: Any, deps: Any, sandbox: Any,
                                                                        worker: Any) -> None:
    unpaid, paid, young = _order(client, deps), _order(client, deps, "py-decorator-explained"), \
        _order(client, deps, "py-generator-iter")
    sandbox.pay(paid)
    _age(deps, unpaid, 31)
    _age(deps, paid, 31)
    _age(deps, young, 29)
    deps.queue.enqueue("workers.sales.close_expired_orders")
    worker()
    assert order_row(deps, unpaid).state == "CLOSED" and sandbox.order(unpaid)["trade_state"] == "CLOSED"
    assert order_row(deps, paid).state == "PAID" and counts(deps, paid)[0] == 1
    assert order_row(deps, young).state == "CREATED" and sandbox.order(young)["trade_state"] == "NOTPAY"


def test_reconcile_grants_orders_paid_without_a_notify(client: Any, deps: Any, sandbox: Any,
                                                      monkeypatch: Any) -> None:
    from bot import cli

    lost, recent, waiting = _order(client, deps), _order(client, deps, "py-decorator-explained"), \
        _order(client, deps, "py-generator-iter")
    sandbox.pay(lost)
    sandbox.pay(recent)
    _age(deps, lost, 6)
    _age(deps, waiting, 6)
    monkeypatch.setattr(cli, "deps", lambda: deps)
    result = CliRunner().invoke(cli.cli, ["orders", "reconcile"])
    assert result.exit_code == 0 and "NOTPAY 1" in result.output and "SUCCESS 1" in result.output
    assert order_row(deps, lost).state == "PAID" and counts(deps, lost)[0] == 1
    assert order_row(deps, recent).state == "CREATED"
    assert order_row(deps, waiting).state == "CREATED"
    reconciled = CliRunner().invoke(cli.cli, ["orders", "reconcile"])
    assert reconciled.exit_code == 0 and "refunds: none pending" in reconciled.output
    assert counts(deps, lost)[0] == 1


def test_the_close_refund_and_notice_sweeps_are_scheduled(deps: Any) -> None:
    from workers.cron import build_cron

    scheduler = build_cron(deps.redis, deps.settings.queue_name)
    scheduled = {job.func_name for job in scheduler.get_jobs()}
    assert {"workers.sales.close_expired_orders", "workers.sales.refund_pending",
            "workers.sales.tell_untold"} <= scheduled
