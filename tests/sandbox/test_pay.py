"""WeChat Pay APIv3 against the sandbox with the real wechatpayv3 client: orders, query, close, pay, notifies."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from wechatpayv3 import WeChatPay, WeChatPayType

from bot.sandbox import DevKeys, SandboxServer


def _order(wxpay: WeChatPay, no: str, total: int = 1990, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    code, message = wxpay.pay(description="asyncio 入门", out_trade_no=no, amount={"total": total}, **kwargs)
    return code, json.loads(message) if message else {}


def _verified(wxpay: WeChatPay, notify: dict[str, Any]) -> dict[str, Any] | None:
    return wxpay.callback(notify["headers"], notify["body"])


def test_native_order_query_and_idempotency(sandbox: SandboxServer, wxpay: WeChatPay) -> None:
    code, body = _order(wxpay, "ORDER000001")
    assert code == 200 and body["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    assert _order(wxpay, "ORDER000001") == (200, body)
    code, clash = _order(wxpay, "ORDER000001", total=1)
    assert code == 400 and clash["code"] == "INVALID_REQUEST"
    code, message = wxpay.query(out_trade_no="ORDER000001")
    found = json.loads(message)
    assert code == 200 and found["trade_state"] == "NOTPAY" and found["amount"]["total"] == 1990
    assert found["mchid"] == sandbox.config.mch_id and found["appid"] == sandbox.config.app_id
    code, message = wxpay.query(out_trade_no="NOSUCHORDER")
    assert code == 404 and json.loads(message)["code"] == "ORDER_NOT_EXIST"


def test_jsapi_order(sandbox: SandboxServer, wxpay: WeChatPay) -> None:
    payer = {"openid": "oBuyer0000000000000000000001"}
    code, body = _order(wxpay, "JSAPI0000001", payer=payer, pay_type=WeChatPayType.JSAPI)
    assert code == 200 and body["prepay_id"].startswith("wx")
    code, again = _order(wxpay, "JSAPI0000001", payer=payer, pay_type=WeChatPayType.JSAPI)
    assert again == body
    code, missing = _order(wxpay, "JSAPI0000002", payer={"openid": ""}, pay_type=WeChatPayType.JSAPI)
    assert code == 400 and missing["code"] == "PARAM_ERROR"


def test_order_validation(sandbox: SandboxServer, wxpay: WeChatPay) -> None:
    assert _order(wxpay, "BAD", total=1)[1]["code"] == "PARAM_ERROR"
    assert _order(wxpay, "ZEROAMOUNT01", total=0)[0] == 400
    code, body = _order(wxpay, "WRONGMCH0001", mchid="1234567")
    assert code == 400 and body["code"] == "MCH_NOT_EXISTS"


def test_request_signature_is_checked(sandbox: SandboxServer, dev_keys: DevKeys) -> None:
    url = f"{sandbox.url}/v3/pay/transactions/out-trade-no/ANY0000001?mchid={sandbox.config.mch_id}"
    unsigned = requests.get(url, timeout=5)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "SIGN_ERROR"
    forged = requests.get(
        url,
        timeout=5,
        headers={
            "Authorization": 'WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="n",signature="AAAA",'
            'timestamp="1",serial_no="x"'
        },
    )
    assert forged.status_code == 401


def test_close_then_pay_fails_like_the_platform(sandbox: SandboxServer, wxpay: WeChatPay) -> None:
    _order(wxpay, "CLOSE0000001")
    code, message = wxpay.close(out_trade_no="CLOSE0000001")
    assert code == 204
    assert json.loads(wxpay.query(out_trade_no="CLOSE0000001")[1])["trade_state"] == "CLOSED"
    response = requests.post(f"{sandbox.url}/sandbox/pay/CLOSE0000001", json={}, timeout=5)
    assert response.status_code == 400 and response.json()["code"] == "ORDER_CLOSED"
    code, body = _order(wxpay, "CLOSE0000001")
    assert code == 400 and body["code"] == "ORDER_CLOSED"


def test_pay_sends_a_notify_wechatpayv3_verifies(sandbox: SandboxServer, wxpay: WeChatPay, receiver: Any) -> None:
    _order(wxpay, "PAID00000001")
    paid = sandbox.client.pay("PAID00000001", openid="oBuyer0000000000000000000001")
    assert paid["trade_state"] == "SUCCESS" and paid["transaction_id"]
    (notify,) = receiver.wait(1)
    result = _verified(wxpay, notify)
    assert result is not None
    assert result["event_type"] == "TRANSACTION.SUCCESS" and result["resource_type"] == "encrypt-resource"
    resource = result["resource"]
    assert resource["out_trade_no"] == "PAID00000001" and resource["trade_state"] == "SUCCESS"
    assert resource["amount"]["total"] == 1990 and resource["mchid"] == sandbox.config.mch_id
    assert resource["payer"]["openid"] == "oBuyer0000000000000000000001"
    assert resource["transaction_id"] == paid["transaction_id"]
    raw = json.loads(notify["body"])
    assert raw["resource"]["associated_data"] == "transaction" and raw["resource"]["original_type"] == "transaction"
    assert notify["headers"]["Wechatpay-Serial"] == sandbox.config.platform_public_key_id
    code, message = wxpay.query(out_trade_no="PAID00000001")
    assert json.loads(message)["trade_state"] == "SUCCESS"
    code, message = wxpay.close(out_trade_no="PAID00000001")
    assert code == 400 and json.loads(message)["code"] == "ORDERPAID"
    twice = requests.post(f"{sandbox.url}/sandbox/pay/PAID00000001", json={}, timeout=5)
    assert twice.status_code == 400 and twice.json()["code"] == "ORDERPAID"
    (order,) = sandbox.client.orders()
    assert order["notifies"][0]["delivered"] is True


def test_notify_is_retried_until_acknowledged(sandbox: SandboxServer, wxpay: WeChatPay, receiver: Any) -> None:
    receiver.statuses = [500]
    _order(wxpay, "RETRY0000001")
    sandbox.client.pay("RETRY0000001")
    first, second = receiver.wait(2)
    assert json.loads(first["body"])["id"] == json.loads(second["body"])["id"]
    assert _verified(wxpay, second) is not None
    time.sleep(0.5)
    attempts = sandbox.client.notifies("RETRY0000001")
    assert [(a["attempt"], a["status"], a["delivered"]) for a in attempts] == [(1, 500, False), (2, 200, True)]


def test_notify_retried_after_network_error(sandbox: SandboxServer, wxpay_factory: Callable[[str], WeChatPay]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = wxpay_factory(f"http://127.0.0.1:{port}/pay/notify")
    _order(client, "NETERR000001")
    sandbox.client.pay("NETERR000001")
    deadline = time.monotonic() + 5
    while len(sandbox.client.notifies("NETERR000001")) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    attempts = sandbox.client.notifies("NETERR000001")
    assert [a["attempt"] for a in attempts] == [1, 2, 3] and all(a["error"] for a in attempts)


def test_pay_page(sandbox: SandboxServer, wxpay: WeChatPay, receiver: Any) -> None:
    _order(wxpay, "PAGE00000001", total=1990)
    page = requests.get(f"{sandbox.url}/sandbox/pay/PAGE00000001", timeout=5)
    assert page.status_code == 200 and "确认支付" in page.text and "19.90" in page.text
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]
    done = requests.post(f"{sandbox.url}/sandbox/pay/PAGE00000001", data={}, timeout=5)
    assert done.status_code == 200 and "支付成功" in done.text and "确认支付" not in done.text
    assert _verified(wxpay, receiver.wait(1)[0]) is not None
    assert requests.get(f"{sandbox.url}/sandbox/pay/NOPE00000001", timeout=5).status_code == 404


def test_fault_duplicate(sandbox: SandboxServer, wxpay: WeChatPay, receiver: Any) -> None:
    _order(wxpay, "DUP000000001")
    sandbox.client.pay("DUP000000001", fault="duplicate", count=5)
    notifies = receiver.wait(5)
    results = [_verified(wxpay, n) for n in notifies]
    assert all(r is not None for r in results)
    assert len({r["id"] for r in results if r}) == 1
    assert {r["resource"]["out_trade_no"] for r in results if r} == {"DUP000000001"}


def test_fault_delay(sandbox: SandboxServer, wxpay: WeChatPay, receiver: Any) -> None:
    _order(wxpay, "DELAY0000001")
    started = time.monotonic()
    sandbox.client.pay("DELAY0000001", fault="delay", delay=0.5)
    assert receiver.requests == []
    receiver.wait(1)
    assert time.monotonic() - started >= 0.5


def test_fault_tamper_fails_the_signature(sandbox: SandboxServer, wxpay: WeChatPay, receiver: Any) -> None:
    receiver.statuses = [401]
    _order(wxpay, "TAMPER000001")
    sandbox.client.pay("TAMPER000001", fault="tamper")
    notify = receiver.wait(1)[0]
    assert _verified(wxpay, notify) is None


def test_fault_wrong_amount_is_correctly_signed(sandbox: SandboxServer, wxpay: WeChatPay, receiver: Any) -> None:
    _order(wxpay, "WRONGAMT0001", total=1990)
    sandbox.client.pay("WRONGAMT0001", fault="wrong_amount", amount=1)
    result = _verified(wxpay, receiver.wait(1)[0])
    assert result is not None and result["resource"]["amount"]["total"] == 1


def test_fault_late_pays_a_closed_order(sandbox: SandboxServer, wxpay: WeChatPay, receiver: Any) -> None:
    _order(wxpay, "LATE00000001")
    assert wxpay.close(out_trade_no="LATE00000001")[0] == 204
    sandbox.client.pay("LATE00000001", fault="late")
    result = _verified(wxpay, receiver.wait(1)[0])
    assert result is not None and result["resource"]["trade_state"] == "SUCCESS"
    assert json.loads(wxpay.query(out_trade_no="LATE00000001")[1])["trade_state"] == "SUCCESS"


def test_unknown_pay_fault_is_refused(sandbox: SandboxServer, wxpay: WeChatPay) -> None:
    _order(wxpay, "UNKNOWNF0001")
    response = requests.post(f"{sandbox.url}/sandbox/pay/UNKNOWNF0001", json={"fault": "nope"}, timeout=5)
    assert response.status_code == 400


def test_status_fault_on_pay_api(sandbox: SandboxServer, wxpay: WeChatPay) -> None:
    sandbox.client.fault("/v3/pay/transactions/native", status=500, count=1)
    code, body = _order(wxpay, "FAULT0000001")
    assert code == 500 and body["code"] == "SYSTEM_ERROR"
    assert _order(wxpay, "FAULT0000001")[0] == 200


@pytest.mark.parametrize("verify", [False])
def test_sandbox_without_request_verification(verify: bool, dev_keys: DevKeys) -> None:
    from bot.sandbox import SandboxConfig, start_in_thread

    with start_in_thread(SandboxConfig.from_dev_keys(dev_keys, verify_requests=verify)) as server:
        url = f"{server.url}/v3/pay/transactions/out-trade-no/ANY0000001?mchid={server.config.mch_id}"
        response = requests.get(url, timeout=5)
        assert response.status_code == 404 and response.headers["Wechatpay-Signature"]


def test_fault_stale_is_signed_long_ago(sandbox: SandboxServer, wxpay: WeChatPay, receiver: Any) -> None:
    _order(wxpay, "STALE0000001")
    sandbox.client.pay("STALE0000001", fault="stale", age=900)
    notify = receiver.wait(1)[0]
    assert _verified(wxpay, notify) is not None  # the signature is valid, only its timestamp is old
    assert time.time() - int(notify["headers"]["Wechatpay-Timestamp"]) >= 900


def test_fault_forged_is_signed_by_another_key(sandbox: SandboxServer, wxpay: WeChatPay, receiver: Any) -> None:
    _order(wxpay, "FORGED000001")
    sandbox.client.pay("FORGED000001", fault="forged")
    assert _verified(wxpay, receiver.wait(1)[0]) is None


def test_pay_page_returns_to_the_merchant(sandbox: SandboxServer, wxpay: WeChatPay, receiver: Any) -> None:
    _order(wxpay, "RETURN000001")
    back = "http://service.test/articles/py-intro?o=RETURN000001"
    page = requests.get(f"{sandbox.url}/sandbox/pay/RETURN000001", params={"return_url": back}, timeout=5)
    assert 'name="return_url"' in page.text
    done = requests.post(f"{sandbox.url}/sandbox/pay/RETURN000001", data={"return_url": back}, timeout=5)
    assert 'http-equiv="refresh"' in done.text and 'id="return"' in done.text
    assert "http://service.test/articles/py-intro?o=RETURN000001" in done.text
    receiver.wait(1)
