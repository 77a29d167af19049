"""The callback protocol: signatures, the three modes, hostile bodies, event routing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.protocol import sha1_signature
from bot.wire import event_message, message_xml, text_message
from tests.conftest import TOKEN


def signed_query(timestamp: int | None = None, token: str = TOKEN) -> str:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return f"timestamp={ts}&nonce=n0nce&signature={sha1_signature(token, ts, 'n0nce')}"


def test_get_echoes_echostr_only_with_a_valid_signature(client: Any) -> None:
    ok = client.get(f"/wechat?{signed_query()}&echostr=hello123")
    assert ok.status_code == 200 and ok.data == b"hello123"
    bad = client.get(f"/wechat?{signed_query(token='other')}&echostr=hello123")
    assert bad.status_code == 403


@pytest.mark.parametrize("mode", ["plain", "compat", "safe"])
def test_text_gets_a_reply_in_every_mode_encrypted_exactly_when_the_request_was(wechat: Any, mode: str) -> None:
    status, reply, raw = wechat.send(text_message("o-user-1", "今天天气怎么样"), mode=mode)
    assert status == 200
    assert (b"<Encrypt>" in raw) == (mode != "plain")
    assert reply is not None and reply["MsgType"] == "text"
    assert reply["ToUserName"] == "o-user-1"


def test_bad_signature_is_refused(client: Any) -> None:
    body = message_xml(text_message("o-x", "hi")).encode()
    assert client.post(f"/wechat?{signed_query(token='wrong')}", data=body).status_code == 403


def test_bad_msg_signature_is_refused(wechat: Any, client: Any) -> None:
    query, body = wechat.signer.request(text_message("o-x", "hi"), mode="safe")
    query = query.replace("msg_signature=", "msg_signature=0")
    assert client.post(f"/wechat?{query}", data=body).status_code == 403


def test_stale_timestamp_is_refused(client: Any) -> None:
    body = message_xml(text_message("o-x", "hi")).encode()
    assert client.post(f"/wechat?{signed_query(int(time.time()) - 301)}", data=body).status_code == 403


@pytest.mark.parametrize("timestamp", ["9" * 400, "-" + "9" * 400, "1e9"])
def test_absurd_timestamps_are_refused_not_errors(client: Any, timestamp: str) -> None:
    body = message_xml(text_message("o-x", "hi")).encode()
    signed = f"timestamp={timestamp}&nonce=n0nce&signature={sha1_signature(TOKEN, timestamp, 'n0nce')}"
    assert client.post(f"/wechat?{signed}", data=body).status_code == 403
    unsigned = f"timestamp={timestamp}&nonce=n0nce&msg_signature=bad&encrypt_type=aes"
    assert client.post(f"/wechat?{unsigned}", data=b"<xml><Encrypt>x</Encrypt></xml>").status_code == 403


def test_oversized_body_is_413(client: Any) -> None:
    body = message_xml(text_message("o-x", "长" * 30000)).encode()
    assert len(body) > 64 * 1024
    assert client.post(f"/wechat?{signed_query()}", data=body).status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<xml><ToUserName>a</ToUserName>",
        b"<other><MsgType>text</MsgType></other>",
        b"<xml><MsgType>text</MsgType></xml>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml>&b;</xml>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><C>&e;</C></xml>',
        b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>x</CreateTime>"
        b"<MsgType>text</MsgType></xml>",
        b"\xff\xfe\x00garbage",
    ],
)
def test_hostile_or_malformed_bodies_are_400(client: Any, body: bytes) -> None:
    started = time.monotonic()
    response = client.post(f"/wechat?{signed_query()}", data=body)
    assert response.status_code == 400
    assert time.monotonic() - started < 0.5


def test_subscribe_welcomes_and_records_the_subscriber(wechat: Any, deps: Any) -> None:
    from bot.models import Subscriber

    status, reply, _ = wechat.send(event_message("o-new", "subscribe", key="qrscene_spring"))
    assert status == 200 and reply is not None
    assert reply["Content"] == deps.knowledge.engine.kb.account.welcome
    with deps.sessions() as session:
        row = session.get(Subscriber, "o-new")
        assert row is not None and row.subscribed and row.scene == "spring"
    status, reply, raw = wechat.send(event_message("o-new", "unsubscribe"))
    assert status == 200 and raw == b"success"
    with deps.sessions() as session:
        assert session.get(Subscriber, "o-new").subscribed is False


@pytest.mark.parametrize(
    "fields",
    [
        {"MsgType": "image", "PicUrl": "http://x/p.jpg", "MediaId": "m1"},
        {"MsgType": "video", "MediaId": "m1", "ThumbMediaId": "t1"},
        {"MsgType": "location", "Location_X": "23.1", "Location_Y": "113.3", "Scale": "20", "Label": "x"},
        {"MsgType": "link", "Title": "t", "Description": "d", "Url": "http://x"},
    ],
)
def test_media_messages_get_the_polite_reply(wechat: Any, deps: Any, fields: dict[str, str]) -> None:
    message = {"ToUserName": "gh", "FromUserName": "o-m", "CreateTime": int(time.time()), "MsgId": 42, **fields}
    status, reply, _ = wechat.send(message)
    assert status == 200 and reply is not None
    assert reply["Content"] == deps.knowledge.engine.kb.account.media_reply


@pytest.mark.parametrize("event", ["VIEW", "TEMPLATESENDJOBFINISH", "MASSSENDJOBFINISH", "LOCATION", "whatever"])
def test_quiet_events_get_success(wechat: Any, event: str) -> None:
    status, reply, raw = wechat.send(event_message("o-e", event, key="http://x"))
    assert status == 200 and raw == b"success" and reply is None


def test_unknown_message_type_gets_success(wechat: Any) -> None:
    message = {"ToUserName": "gh", "FromUserName": "o-u", "CreateTime": int(time.time()), "MsgType": "miniprogrampage",
               "MsgId": 7}
    status, _, raw = wechat.send(message)
    assert status == 200 and raw == b"success"


def test_voice_uses_its_recognition(wechat: Any, deps: Any) -> None:
    message = {"ToUserName": "gh", "FromUserName": "o-v", "CreateTime": int(time.time()), "MsgType": "voice",
               "MediaId": "m", "Format": "amr", "Recognition": "今天天气怎么样", "MsgId": 99}
    status, reply, _ = wechat.send(message)
    assert status == 200 and reply is not None
    assert reply["Content"] == deps.knowledge.engine.kb.account.fallback
