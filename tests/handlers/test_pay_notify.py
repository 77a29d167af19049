"""`POST /pay/notify`: paid orders are granted once; forged, stale, tampered and wrong notifies grant nothing."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import update
from wechatpy.exceptions import WeChatClientException

from bot.models import Order, utcnow
from bot.sandbox.signing import wechatpay_headers
from handlers import receipts, reconcile
from tests.handlers.pay_kit import (
    BUYER,
    Notifier,
    PublicApp,
    counts,
    order_row,
    rejected_events,
    run_jobs,
    wait_for,
)


def _placed(public: PublicApp) -> dict[str, Any]:
    return public.order(public.browser())


def _post(public: PublicApp, body: str, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{public.url}/pay/notify", data=body.encode(), headers=headers, timeout=30)


def test_paying_through_the_sandbox_grants_once_and_tells_the_buyer(public: PublicApp, sandbox: Any) -> None:
    sandbox.seed_users(openids=[BUYER])
    order = _placed(public)
    no = order["out_trade_no"]
    sandbox.pay(no, fault="duplicate", count=3)
    wait_for(lambda: len([n for n in sandbox.notifies(no) if n["delivered"]]) == 3)
    assert counts(public.deps, no) == (1, 3)
    row = order_row(public.deps, no)
    assert row.state == "PAID" and row.transaction_id and not row.needs_refund
    assert [n["status"] for n in sandbox.notifies(no)] == [204, 204, 204]
    run_jobs(public)
    messages = sandbox.messages(BUYER)
    assert len(messages) == 1 and "/articles/py-asyncio-intro?t=" in str(messages[0])
    public.deps.queue.enqueue("workers.sales.notify_buyer", no, job_id=f"paid-{no}")
    run_jobs(public)
    assert len(sandbox.messages(BUYER)) == 1


def test_twenty_concurrent_copies_grant_once(public: PublicApp, notifier: Notifier) -> None:
    order = _placed(public)
    no = order["out_trade_no"]
    body, headers = notifier.signed(notifier.transaction(no, order["amount"]))
    start = threading.Barrier(20)
    statuses: list[int] = []

    def send() -> None:
        start.wait()
        statuses.append(_post(public, body, headers).status_code)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [204] * 20
    assert counts(public.deps, no) == (1, 20)
    row = order_row(public.deps, no)
    assert row.state == "PAID" and not row.needs_refund


def test_forged_stale_and_tampered_notifies_grant_nothing(public: PublicApp, sandbox: Any,
                                                          notifier: Notifier) -> None:
    browser = public.browser()
    faults = {"forged": "py-asyncio-intro", "stale": "py-decorator-explained", "tamper": "py-generator-iter"}
    for fault, item_id in faults.items():
        no = public.order(browser, item_id)["out_trade_no"]
        sandbox.pay(no, fault=fault)
        wait_for(lambda no=no: len(sandbox.notifies(no)) >= 2)
        assert {n["status"] for n in sandbox.notifies(no)} == {401}, fault
        before = rejected_events(public.deps)
        assert counts(public.deps, no) == (0, 0) and order_row(public.deps, no).state == "CREATED"
        assert before >= 2
    body, headers = notifier.signed(notifier.transaction("KPNOSUCHORDER000001", 1990))
    assert _post(public, body.replace("TRANSACTION", "TRANSACTIOM"), headers).status_code == 401


def test_wrong_amount_merchant_and_unknown_order_are_refused(public: PublicApp, sandbox: Any,
                                                             notifier: Notifier) -> None:
    order = _placed(public)
    no = order["out_trade_no"]
    sandbox.pay(no, fault="wrong_amount")
    wait_for(lambda: len(sandbox.notifies(no)) >= 2)
    assert {n["status"] for n in sandbox.notifies(no)} == {400}
    assert counts(public.deps, no)[0] == 0 and order_row(public.deps, no).state == "CREATED"
    body, headers = notifier.signed(notifier.transaction(no, order["amount"], mchid="1900000999"))
    assert _post(public, body, headers).status_code == 400
    body, headers = notifier.signed(notifier.transaction(no, order["amount"], appid="wxother"))
    assert _post(public, body, headers).status_code == 400
    body, headers = notifier.signed(notifier.transaction("KPNOSUCHORDER000001", order["amount"]))
    response = _post(public, body, headers)
    assert response.status_code == 404 and response.json()["code"] == "FAIL"
    assert counts(public.deps, "KPNOSUCHORDER000001") == (0, 1)
    assert counts(public.deps, no)[0] == 0


def test_a_late_payment_for_a_closed_order_is_kept_and_flagged_for_refund(public: PublicApp, sandbox: Any) -> None:
    no = _placed(public)["out_trade_no"]
    assert reconcile.close(public.deps, no) == "closed"
    assert sandbox.order(no)["trade_state"] == "CLOSED"
    sandbox.pay(no, fault="late")
    wait_for(lambda: any(n["delivered"] for n in sandbox.notifies(no)))
    row = order_row(public.deps, no)
    assert row.state == "CLOSED" and row.needs_refund and row.transaction_id
    assert counts(public.deps, no) == (0, 1)


def test_unreadable_and_oversized_notifies_are_refused_and_logged(public: PublicApp, notifier: Notifier) -> None:
    order = _placed(public)
    body, headers = notifier.signed(notifier.transaction(order["out_trade_no"], order["amount"]))
    before = rejected_events(public.deps)
    assert _post(public, "not json", headers).status_code == 401
    assert _post(public, body, {**headers, "Wechatpay-Serial": "PUB_KEY_ID_OTHER"}).status_code == 401
    assert _post(public, body, {**headers, "Wechatpay-Signature-Type": "HMAC-SHA256"}).status_code == 401
    assert _post(public, body, {"Content-Type": "application/json"}).status_code == 401
    assert _post(public, "x" * 70000, headers).status_code == 413
    nested = "[" * 5000 + "]" * 5000          # signed by the platform key, and too deep for the JSON parser
    deep = {**wechatpay_headers(notifier.key, notifier.key_id, nested), "Content-Type": "application/json"}
    refused = _post(public, nested, deep)
    assert refused.status_code == 400 and refused.json()["message"] == "malformed"
    assert rejected_events(public.deps) == before + 5        # the deep one is signed: logged as verified
    assert counts(public.deps, order["out_trade_no"]) == (0, 0)


def _set(public: PublicApp, no: str, **values: Any) -> None:
    with public.deps.sessions.begin() as session:
        session.execute(update(Order).where(Order.out_trade_no == no).values(**values))


def test_a_buyer_whose_notice_job_was_lost_is_told_once_by_the_sweep(public: PublicApp, sandbox: Any) -> None:
    sandbox.seed_users(openids=[BUYER])
    no = _placed(public)["out_trade_no"]
    sandbox.pay(no)
    wait_for(lambda: counts(public.deps, no)[0] == 1)
    public.deps.queue.empty()                      # the notice job is lost, as when Redis was down at the grant
    assert receipts.tell_untold(public.deps) == {}  # too early: the job normally runs within seconds
    _set(public, no, paid_at=utcnow() - timedelta(minutes=5))
    assert receipts.untold(public.deps) == [no]
    assert receipts.tell_untold(public.deps) == {"template": 1}
    assert receipts.tell_untold(public.deps) == {}
    assert receipts.tell_buyer(public.deps, no) == "skipped"
    assert len(sandbox.messages(BUYER)) == 1
    assert order_row(public.deps, no).notice == "template"


def test_a_failed_notice_is_released_for_the_retry_and_a_dead_senders_claim_expires(
        public: PublicApp, sandbox: Any) -> None:
    sandbox.seed_users(openids=[BUYER])
    no = _placed(public)["out_trade_no"]
    sandbox.pay(no)
    wait_for(lambda: counts(public.deps, no)[0] == 1)
    public.deps.queue.empty()
    sandbox.fault("/cgi-bin/message/template/send", errcode=45047, count=1)
    with pytest.raises(WeChatClientException):
        receipts.tell_buyer(public.deps, no)
    assert order_row(public.deps, no).notice is None and not sandbox.messages(BUYER)
    assert receipts.tell_buyer(public.deps, no) == "template"

    item = "py-decorator-explained"
    second = public.order(public.browser(item_id=item), item_id=item)["out_trade_no"]
    sandbox.pay(second)
    wait_for(lambda: counts(public.deps, second)[0] == 1)
    public.deps.queue.empty()
    _set(public, second, paid_at=utcnow() - timedelta(minutes=20),   # a sender claimed it and died 15 minutes ago
         notice=receipts.SENDING, noticed_at=utcnow() - timedelta(minutes=15))
    assert receipts.tell_untold(public.deps) == {"template": 1}
    assert len(sandbox.messages(BUYER)) == 2
