"""A payment that bought nothing goes back to the payer once, in full, through WeChat Pay's refund API."""

from __future__ import annotations

from typing import Any

import requests
from sqlalchemy import update

from bot.models import Order
from handlers import ledger, paygate, reconcile, refunds
from tests.handlers.pay_kit import Notifier, PublicApp, counts, order_row, run_jobs, wait_for


def _late_payment(public: PublicApp, sandbox: Any) -> dict[str, Any]:
    order = public.order(public.browser())
    no = order["out_trade_no"]
    assert reconcile.close(public.deps, no) == "closed"
    sandbox.pay(no, fault="late")
    wait_for(lambda: any(n["delivered"] for n in sandbox.notifies(no)))
    return order


def test_a_late_payment_is_refunded_once_in_full(public: PublicApp, sandbox: Any) -> None:
    order = _late_payment(public, sandbox)
    no = order["out_trade_no"]
    assert order_row(public.deps, no).needs_refund
    run_jobs(public)
    given_back = sandbox.order(no)["refunds"]
    assert len(given_back) == 1
    assert given_back[0]["out_refund_no"] == refunds.refund_no(no)
    assert given_back[0]["amount"]["refund"] == given_back[0]["amount"]["total"] == order["amount"]
    row = order_row(public.deps, no)
    assert row.refund_state == "SUCCESS" and row.refunded_at is not None and row.refund_no == refunds.refund_no(no)
    assert counts(public.deps, no)[0] == 0

    public.deps.queue.enqueue("workers.sales.refund_order", no, job_id=f"refund-{no}")
    run_jobs(public)
    assert refunds.refund(public.deps, no) == "success"
    assert refunds.refund_pending(public.deps) == {}
    assert len(sandbox.order(no)["refunds"]) == 1


def test_the_refund_api_is_idempotent_by_number_and_never_gives_back_more_than_was_paid(
        public: PublicApp, sandbox: Any) -> None:
    order = _late_payment(public, sandbox)
    no = order["out_trade_no"]
    transaction_id = order_row(public.deps, no).transaction_id
    assert transaction_id
    first = paygate.refund(public.deps, "RF-TEST-1", transaction_id, order["amount"], "test")
    again = paygate.refund(public.deps, "RF-TEST-1", transaction_id, order["amount"], "test")
    assert first.ok and again.data["refund_id"] == first.data["refund_id"]
    more = paygate.refund(public.deps, "RF-TEST-2", transaction_id, order["amount"], "test")
    assert more.status == 400 and more.code == "INVALID_REQUEST"
    assert paygate.query_refund(public.deps, "RF-TEST-1").data["status"] == "SUCCESS"
    assert paygate.query_refund(public.deps, "RF-NOPE").status == 404


def test_a_refused_refund_stays_pending_and_the_sweep_retries_it(public: PublicApp, sandbox: Any) -> None:
    order = _late_payment(public, sandbox)
    no = order["out_trade_no"]
    real = order_row(public.deps, no).transaction_id
    with public.deps.sessions.begin() as session:
        session.execute(update(Order).where(Order.out_trade_no == no).values(transaction_id="4200000000NOSUCH"))
    assert refunds.refund_pending(public.deps) == {"error": 1}
    assert refunds.pending(public.deps) == [no] and order_row(public.deps, no).refund_state is None
    with public.deps.sessions.begin() as session:
        session.execute(update(Order).where(Order.out_trade_no == no).values(transaction_id=real))
    assert refunds.refund_pending(public.deps) == {"success": 1}
    assert refunds.pending(public.deps) == [] and len(sandbox.order(no)["refunds"]) == 1


def test_a_payment_for_an_item_already_owned_queues_its_refund(public: PublicApp) -> None:
    ledger.after(public.deps, ledger.Settlement("owned", "KPOWNED0000000000001", "o-buyer", "py-asyncio-intro"))
    assert "refund-KPOWNED0000000000001" in public.deps.queue.job_ids
    ledger.after(public.deps, ledger.Settlement("granted", "KPGRANTED00000000001", "o-buyer", "py-asyncio-intro"))
    assert "refund-KPGRANTED00000000001" not in public.deps.queue.job_ids


def test_refund_notifies_are_recorded_and_acknowledged(public: PublicApp, sandbox: Any, notifier: Notifier) -> None:
    order = _late_payment(public, sandbox)
    no = order["out_trade_no"]
    with public.deps.sessions.begin() as session:
        session.execute(update(Order).where(Order.out_trade_no == no)
                        .values(refund_no=refunds.refund_no(no), refund_state="PROCESSING"))
    pay = public.deps.settings.pay
    assert pay is not None
    resource = {"mchid": pay.mch_id, "out_trade_no": no, "out_refund_no": refunds.refund_no(no),
                "refund_id": "50300000000000000001", "refund_status": "SUCCESS", "user_received_account": "零钱",
                "amount": {"total": order["amount"], "refund": order["amount"], "payer_total": order["amount"],
                           "payer_refund": order["amount"]}}
    body, headers = notifier.signed(resource, event_type="REFUND.SUCCESS")
    response = requests.post(f"{public.url}/pay/notify", data=body.encode(), headers=headers, timeout=30)
    assert response.status_code == 204
    row = order_row(public.deps, no)
    assert row.refund_state == "SUCCESS" and row.refunded_at is not None
    stranger = dict(resource, out_refund_no="SOMEONE-ELSE")
    body, headers = notifier.signed(stranger, event_type="REFUND.SUCCESS")
    assert requests.post(f"{public.url}/pay/notify", data=body.encode(), headers=headers, timeout=30).status_code == 204
