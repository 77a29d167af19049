"""Keys, callback events, concurrency, scale and the command line of the sandbox."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from wechatpy import WeChatClient

from bot.sandbox import DevKeys, SandboxConfig, SandboxServer, ensure_dev_keys, start_in_thread
from bot.sandbox.__main__ import config_from_args, parser


def test_dev_keys_are_created_once(tmp_path: Path) -> None:
    first = ensure_dev_keys(tmp_path / "keys")
    again = ensure_dev_keys(tmp_path / "keys")
    assert first == again
    assert first.merchant_private_key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert first.platform_public_key_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert first.platform_public_key_id.startswith("PUB_KEY_ID_") and len(first.apiv3_key) == 32
    assert int(first.merchant_cert_serial, 16) and len(first.merchant_cert_serial) == 40
    assert first.pay_env()["WECHAT_PAY_PUBLIC_KEY"] == str(first.platform_public_key_path)
    assert oct(first.merchant_private_key_path.stat().st_mode & 0o777) == "0o600"
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(ensure_dev_keys, [tmp_path / "race"] * 4))
    assert len({k.apiv3_key for k in made}) == 1


def test_template_finish_events_reach_the_callback(dev_keys: DevKeys, receiver: Any) -> None:
    config = SandboxConfig.from_dev_keys(dev_keys, callback_url=receiver.url, callback_token="tok")
    with start_in_thread(config) as server:
        server.client.seed_users(openids=["oEvent00000000000000000000001"])
        client = _wechat(server)
        sent = client.post(
            "message/template/send",
            data={"touser": "oEvent00000000000000000000001", "template_id": "T", "data": {}},
        )
        (event,) = receiver.wait(1)
    query = {k: v[0] for k, v in parse_qs(urlsplit(event["path"]).query).items()}
    expected = hashlib.sha1("".join(sorted(("tok", query["timestamp"], query["nonce"]))).encode()).hexdigest()
    assert query["signature"] == expected
    assert "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>" in event["body"]
    assert f"<MsgID>{sent['msgid']}</MsgID>" in event["body"]
    assert "oEvent00000000000000000000001" in event["body"]


def _wechat(server: SandboxServer) -> WeChatClient:
    token = requests.get(
        f"{server.url}/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": server.config.app_id, "secret": server.config.app_secret},
        timeout=5,
    ).json()["access_token"]
    client = WeChatClient(server.config.app_id, server.config.app_secret, access_token=token, timeout=10)
    client.API_BASE_URL = f"{server.url}/cgi-bin/"
    return client


def test_concurrent_repeats_deliver_once(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    openids = sandbox.client.seed_users(20)["openids"]
    token = wechat.access_token
    url = f"{sandbox.url}/cgi-bin/message/template/send"

    def send(openid: str) -> int:
        body = {"touser": openid, "template_id": "TPL_RACE", "data": {}, "client_msg_id": f"race:{openid}"}
        return requests.post(url, params={"access_token": token}, json=body, timeout=10).json()["msgid"]

    with ThreadPoolExecutor(16) as pool:
        msgids = list(pool.map(send, openids * 5))
    assert len(set(msgids)) == 20
    summary = sandbox.client.summary("TPL_RACE")
    assert summary["recipients"] == 20 and summary["messages"] == 20 and summary["duplicates"] == {}


def test_hundred_thousand_subscribers_stay_fast(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    started = time.monotonic()
    seeded = sandbox.client.seed_users(100_000, tags=["all"])
    assert seeded["total"] == 100_000 and len(seeded["openids"]) == 1000
    page = wechat.user.get_followers(seeded["openids"][999])
    assert page["count"] == 10_000 and page["total"] == 100_000
    assert wechat.tag.get()[0]["count"] == 100_000
    sent = wechat.message.send_mass_text(seeded["tags"]["all"], "全员", client_msg_id="m1")
    assert sent["errcode"] == 0
    summary = sandbox.client.summary()
    assert summary["by_kind"] == {"mass": 100_000}
    assert len(sandbox.client.messages(seeded["last"])) == 1
    assert time.monotonic() - started < 10


def test_command_line_config(tmp_path: Path) -> None:
    args = parser().parse_args(["--keys-dir", str(tmp_path), "--port", "0", "--openid", "oMe", "--no-verify"])
    config = config_from_args(args)
    assert config.initial_openids == ("oMe",) and config.merchant_public_key_pem is None
    with start_in_thread(config) as server:
        assert server.client.seed_users()["total"] == 1
        server.client.reset()
        assert server.client.seed_users()["total"] == 1


def test_control_refuses_bad_input(sandbox: SandboxServer) -> None:
    for body in ({"count": "many"}, {"count": -1}, {"openids": "oA"}, {"prefix": "x" * 23}):
        response = requests.post(f"{sandbox.url}/sandbox/users", json=body, timeout=5)
        assert response.status_code == 400, body
    assert requests.post(f"{sandbox.url}/sandbox/faults", data="nope", timeout=5).status_code == 400
    assert requests.post(f"{sandbox.url}/sandbox/users/oNobody/unsubscribe", timeout=5).status_code == 404


HOSTILE_BODIES = (
    b"",
    b"null",
    b"[]",
    b"\xff\xfe",
    b'{"touser":5,"msgtype":"text","text":"x"}',
    b'{"user_list":[1,2],"tag":"x","tagid":{},"openid_list":[1],"next_openid":[]}',
    b'{"filter":{"tag_id":[]},"msgtype":"text","text":{}}',
    b'{"data":{"a":1},"touser":"x","template_id":"t","client_msg_id":7}',
    b'{"amount":{"total":"1"},"appid":1,"mchid":1,"description":1,"out_trade_no":1,"notify_url":1}',
    b'{"fault":"duplicate","count":"x","path":"/x","rate":"y"}',
)


def test_no_input_yields_a_server_error(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    token = wechat.access_token
    rules = [
        r.rule for r in sandbox.app.url_map.iter_rules() if r.rule not in ("/sandbox/reset", "/static/<path:filename>")
    ]
    failures = []
    session = requests.Session()
    for rule in rules:
        path = rule.replace("<out_trade_no>", "X12345678").replace("<transaction_id>", "1").replace("<openid>", "o1")
        for body in HOSTILE_BODIES:
            for method in ("GET", "POST"):
                response = session.request(
                    method,
                    f"{sandbox.url}{path}",
                    params={"access_token": token},
                    data=body,
                    headers={"Content-Type": "application/json"},
                    timeout=10,
                )
                if response.status_code >= 500:
                    failures.append((method, path, body, response.status_code))
    assert failures == []
