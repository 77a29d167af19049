"""wechatpy's WeChatClient against the sandbox: tokens, sends, client_msg_id, followers, tags, menu."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.sandbox import SandboxServer


def test_token_and_customer_service_send(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    result = wechat.message.send_text("oUserText000000000000000001", "你好")
    assert result == {"errcode": 0, "errmsg": "ok"}
    got = sandbox.client.messages("oUserText000000000000000001")
    assert [(m["kind"], m["msgtype"], m["text"]) for m in got] == [("custom", "text", "你好")]
    token_calls = sandbox.client.calls("/cgi-bin/token")
    assert len(token_calls) == 1 and token_calls[0]["errcode"] == 0
    send = sandbox.client.calls("/cgi-bin/message/custom/send")[0]
    assert send["errcode"] == 0 and send["body"]["text"] == {"content": "你好"}


def test_news_send_is_recorded(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    articles = [{"title": "asyncio 入门", "description": "d", "url": "http://x/articles/a", "image": ""}]
    wechat.message.send_articles("oUserNews000000000000000001", articles)
    (msg,) = sandbox.client.messages("oUserNews000000000000000001")
    assert msg["msgtype"] == "news" and msg["content"]["articles"][0]["title"] == "asyncio 入门"


def test_wrong_credentials(wechat_factory: Callable[..., WeChatClient]) -> None:
    with pytest.raises(WeChatClientException) as bad_secret:
        wechat_factory(secret="nope").fetch_access_token()
    assert bad_secret.value.errcode == 40125
    with pytest.raises(WeChatClientException) as bad_appid:
        wechat_factory(appid="wxnope").fetch_access_token()
    assert bad_appid.value.errcode == 40013


def test_bad_and_expired_tokens(sandbox: SandboxServer, wechat_factory: Callable[..., WeChatClient]) -> None:
    strict = wechat_factory(access_token="forged", auto_retry=False)
    with pytest.raises(WeChatClientException) as invalid:
        strict.message.send_text("oUser", "x")
    assert invalid.value.errcode == 40001
    retrying = wechat_factory(access_token="forged")
    assert retrying.message.send_text("oUser", "x")["errcode"] == 0
    sandbox.client.expire_tokens()
    strict = wechat_factory(access_token=retrying.access_token, auto_retry=False)
    with pytest.raises(WeChatClientException) as expired:
        strict.message.send_text("oUser", "x")
    assert expired.value.errcode == 42001
    missing = requests.post(f"{sandbox.url}/cgi-bin/message/custom/send", json={}, timeout=5).json()
    assert missing["errcode"] == 41001


def test_stable_token_force_refresh(sandbox: SandboxServer) -> None:
    body = {
        "grant_type": "client_credential",
        "appid": sandbox.config.app_id,
        "secret": sandbox.config.app_secret,
    }
    url = f"{sandbox.url}/cgi-bin/stable_token"
    first = requests.post(url, json=body, timeout=5).json()
    again = requests.post(url, json=body, timeout=5).json()
    assert first["access_token"] == again["access_token"] and 0 < again["expires_in"] <= 7200
    forced = requests.post(url, json={**body, "force_refresh": True}, timeout=5).json()
    assert forced["access_token"] != first["access_token"]
    send = f"{sandbox.url}/cgi-bin/message/custom/send"
    text = {"touser": "oUser", "msgtype": "text", "text": {"content": "x"}}
    old = requests.post(send, params={"access_token": first["access_token"]}, json=text, timeout=5)
    assert old.json()["errcode"] == 40001
    new = requests.post(send, params={"access_token": forced["access_token"]}, json=text, timeout=5)
    assert new.json()["errcode"] == 0
    wrong = requests.post(url, json={**body, "secret": "x"}, timeout=5).json()
    assert wrong["errcode"] == 40125


def _template(wechat: WeChatClient, touser: str, client_msg_id: str | None, value: str = "第3课上线") -> dict:
    data = {"touser": touser, "template_id": "TPL_COURSE", "url": "http://x/a", "data": {"thing1": {"value": value}}}
    if client_msg_id:
        data["client_msg_id"] = client_msg_id
    return wechat.post("message/template/send", data=data)


def test_template_send_dedupes_client_msg_id(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    (openid,) = sandbox.client.seed_users(openids=["oTpl000000000000000000000001"])["openids"]
    first = _template(wechat, openid, "bc1:oTpl")
    repeat = _template(wechat, openid, "bc1:oTpl")
    assert first["errcode"] == 0 and repeat == first
    other = _template(wechat, openid, "bc2:oTpl")
    assert other["msgid"] != first["msgid"]
    plain = wechat.message.send_template(openid, "TPL_COURSE", {"thing1": {"value": "x"}})
    assert plain["errcode"] == 0
    got = sandbox.client.messages(openid, kind="template")
    assert [m["client_msg_id"] for m in got] == ["bc1:oTpl", "bc2:oTpl", None]
    assert got[0]["data"] == {"thing1": {"value": "第3课上线"}} and got[0]["msgid"] == first["msgid"]
    summary = sandbox.client.summary("TPL_COURSE")
    assert summary["messages"] == 3 and summary["recipients"] == 1 and summary["duplicates"] == {openid: 3}


def test_client_msg_id_window_expires(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    openid = "oTplWin00000000000000000001"
    sandbox.client.seed_users(openids=[openid])
    first = _template(wechat, openid, "cid")
    with sandbox.state.lock:
        msgid, sent = sandbox.state.client_msg_ids[(openid, "cid")]
        sandbox.state.client_msg_ids[(openid, "cid")] = (msgid, sent - 601)
    later = _template(wechat, openid, "cid")
    assert later["msgid"] != first["msgid"]
    assert len(sandbox.client.messages(openid)) == 2


def test_template_refusals(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    sandbox.client.seed_users(openids=["oLeaver000000000000000000001"])
    sandbox.client.unsubscribe("oLeaver000000000000000000001")
    for touser in ("oLeaver000000000000000000001", "oNeverSeen0000000000000000001"):
        with pytest.raises(WeChatClientException) as gone:
            _template(wechat, touser, "x")
        assert gone.value.errcode == 43004
    sandbox.client.seed_users(openids=["oLong0000000000000000000001"])
    with pytest.raises(WeChatClientException) as too_long:
        _template(wechat, "oLong0000000000000000000001", None, value="一" * 21)
    assert too_long.value.errcode == 47003
    assert _template(wechat, "oLong0000000000000000000001", None, value="一" * 20)["errcode"] == 0
    assert sandbox.client.messages("oLeaver000000000000000000001") == []


def test_followers_paging_over_ten_thousand(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    seeded = sandbox.client.seed_users(25_001)
    sandbox.client.unsubscribe(seeded["first"])
    first = wechat.user.get_followers()
    assert first["total"] == 25_000 and first["count"] == 10_000
    assert first["next_openid"] == first["data"]["openid"][-1]
    followers = list(wechat.user.iter_followers())
    assert len(followers) == 25_000 == len(set(followers)) and seeded["first"] not in followers
    assert followers[-1] == seeded["last"]
    end = wechat.user.get_followers(seeded["last"])
    assert end == {"total": 25_000, "count": 0, "next_openid": ""}
    cursors = [c["query"].get("next_openid", "") for c in sandbox.client.calls("/cgi-bin/user/get")]
    assert cursors == ["", "", followers[9_999], followers[19_999], seeded["last"], seeded["last"]]


def test_user_info_batch_and_tags(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    seeded = sandbox.client.seed_users(3, tags=["python"])
    plain = sandbox.client.seed_users(openids=["oPlain00000000000000000000001"])
    tag_id = seeded["tags"]["python"]
    info = wechat.user.get(seeded["first"])
    assert info["subscribe"] == 1 and info["tagid_list"] == [tag_id]
    batch = wechat.user.get_batch([seeded["first"], plain["openids"][0]])
    assert [u["openid"] for u in batch] == [seeded["first"], "oPlain00000000000000000000001"]
    assert wechat.tag.get() == [{"id": tag_id, "name": "python", "count": 3}]
    sandbox.client.unsubscribe(seeded["first"])
    assert wechat.user.get(seeded["first"])["subscribe"] == 0
    with pytest.raises(WeChatClientException) as too_many:
        wechat.user.get_batch([seeded["first"]] * 101)
    assert too_many.value.errcode == 40032


def test_menu(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    assert wechat.menu.get() is None
    menu = {"button": [{"type": "click", "name": "推荐", "key": "RECOMMEND"}]}
    assert wechat.menu.create(menu)["errcode"] == 0
    assert wechat.menu.get() == {"menu": menu}
    assert wechat.menu.get_menu_info() == {"is_menu_open": 1, "selfmenu_info": menu}
    with pytest.raises(WeChatClientException) as bad:
        wechat.menu.create({"button": []})
    assert bad.value.errcode == 40016


def test_mass_send_by_tag_with_clientmsgid(sandbox: SandboxServer, wechat: WeChatClient) -> None:
    vip = sandbox.client.seed_users(4, tags=["vip"])
    sandbox.client.seed_users(3)
    tag_id = vip["tags"]["vip"]
    sent = wechat.message.send_mass_text(tag_id, "限时优惠", client_msg_id="promo-1")
    assert sent["errcode"] == 0 and sent["msg_id"]
    with pytest.raises(WeChatClientException) as repeat:
        wechat.message.send_mass_text(tag_id, "限时优惠", client_msg_id="promo-1")
    assert repeat.value.errcode == 45065
    mass = sandbox.client.messages(kind="mass")
    assert sorted(m["openid"] for m in mass) == sorted(vip["openids"]) and mass[0]["text"] == "限时优惠"
    everyone = wechat.message.send_mass_text(None, "全员通知", is_to_all=True, client_msg_id="all-1")
    assert everyone["errcode"] == 0
    assert len(sandbox.client.messages(kind="mass")) == 4 + 7
