"""Injected faults over real HTTP: error codes, counts, rates, latency, dropped responses, HTTP statuses."""

from __future__ import annotations

import time

import pytest
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.sandbox import SandboxError, SandboxServer

SEND = "/cgi-bin/message/template/send"


def _send(sandbox: SandboxServer, token: str, openid: str, client_msg_id: str) -> requests.Response:
    body = {"touser": openid, "template_id": "TPL", "data": {"k": {"value": "v"}}, "client_msg_id": client_msg_id}
    return requests.post(f"{sandbox.url}{SEND}", params={"access_token": token}, json=body, timeout=5)


def _token(wechat: WeChatClient) -> str:
    return str(wechat.access_token)


def test_errcode_fault_with_count(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    openid = sandbox.client.seed_users(1)["first"]
    sandbox.client.fault(SEND, errcode=-1, count=2)
    token = _token(wechat)
    codes = [_send(sandbox, token, openid, "a").json()["errcode"] for _ in range(3)]
    assert codes == [-1, -1, 0]
    assert len(sandbox.client.messages(openid)) == 1
    assert [c["errcode"] for c in sandbox.client.calls(SEND)] == [-1, -1, 0]
    (fault,) = sandbox.client.faults()
    assert fault["fired"] == 2 and fault["count"] == 0


def test_errcode_reaches_wechatpy(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    sandbox.client.fault("/cgi-bin/message/custom/*", errcode=45047, count=1)
    with pytest.raises(WeChatClientException) as limited:
        wechat.message.send_text("oUser", "hi")
    assert limited.value.errcode == 45047
    assert wechat.message.send_text("oUser", "hi")["errcode"] == 0


def test_rate(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    openid = sandbox.client.seed_users(1)["first"]
    sandbox.client.fault(SEND, errcode=-1, rate=0.3)
    token = _token(wechat)
    codes = [_send(sandbox, token, openid, f"r{i}").json()["errcode"] for i in range(200)]
    assert 20 <= codes.count(-1) <= 100
    assert len(sandbox.client.messages(openid)) == codes.count(0)


def test_latency(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    openid = sandbox.client.seed_users(1)["first"]
    token = _token(wechat)
    sandbox.client.fault(SEND, latency_ms=300)
    started = time.monotonic()
    assert _send(sandbox, token, openid, "slow").json()["errcode"] == 0
    assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.Timeout):
        body = {"touser": openid, "template_id": "TPL", "data": {}}
        requests.post(f"{sandbox.url}{SEND}", params={"access_token": token}, json=body, timeout=0.1)


def test_drop_processes_then_closes_the_connection(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    openid = sandbox.client.seed_users(1)["first"]
    token = _token(wechat)
    sandbox.client.fault(SEND, drop=True, count=1)
    with pytest.raises(requests.ConnectionError):
        _send(sandbox, token, openid, "unknown-outcome")
    (delivered,) = sandbox.client.messages(openid)
    assert delivered["client_msg_id"] == "unknown-outcome"
    retried = _send(sandbox, token, openid, "unknown-outcome").json()
    assert retried == {"errcode": 0, "errmsg": "ok", "msgid": delivered["msgid"]}
    assert len(sandbox.client.messages(openid)) == 1
    assert [c["dropped"] for c in sandbox.client.calls(SEND)] == [True, False]
    assert sandbox.client.calls_summary()[SEND] == {"dropped": 1, "0": 1}


def test_drop_with_a_keep_alive_session(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    session = requests.Session()
    openid = sandbox.client.seed_users(1)["first"]
    token = _token(wechat)
    body = {"touser": openid, "template_id": "TPL", "data": {}}
    url = f"{sandbox.url}{SEND}"
    assert session.post(url, params={"access_token": token}, json=body, timeout=5).json()["errcode"] == 0
    sandbox.client.fault(SEND, drop=True, rate=1.0, count=3)
    for _ in range(3):
        with pytest.raises(requests.ConnectionError):
            session.post(url, params={"access_token": token}, json=body, timeout=5)
    assert session.post(url, params={"access_token": token}, json=body, timeout=5).json()["errcode"] == 0
    assert len(sandbox.client.messages(openid)) == 5


def test_status_fault_and_clear(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    sandbox.client.fault("/cgi-bin/user/get", status=503)
    with pytest.raises(WeChatClientException):
        wechat.user.get_followers()
    sandbox.client.clear_faults()
    assert wechat.user.get_followers()["total"] == 0


def test_bad_fault_is_refused(sandbox: SandboxServer) -> None:
    with pytest.raises(SandboxError):
        sandbox.client.fault("no-slash", errcode=-1)
    with pytest.raises(SandboxError):
        sandbox.client.fault(SEND, errcode=-1, rate=2)


def test_reset_clears_everything(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    sandbox.client.seed_users(5)
    sandbox.client.fault(SEND, errcode=-1)
    wechat.message.send_text("oUser", "x")
    sandbox.client.reset()
    assert sandbox.client.faults() == [] and sandbox.client.calls() == [] and sandbox.client.messages() == []
    assert wechat.user.get_followers()["total"] == 0  # the old token was forgotten: wechatpy refreshed it
