"""The WeChat API client: one shared token for all processes, refreshed once on 40001/42001, base URL honoured."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis

from bot.wechat import WeChatClient
from tests.conftest import REDIS_URL


def client_for(settings: Any) -> WeChatClient:
    """A client as another process would build it."""
    return WeChatClient(settings.app_id, settings.app_secret, redis.Redis.from_url(REDIS_URL), settings.redis_prefix,
                        api_base_url=settings.api_base_url, timeout=5)


def token_calls(sandbox: Any) -> int:
    return sum(1 for call in sandbox.calls() if call["path"] in ("/cgi-bin/stable_token", "/cgi-bin/token"))


def test_processes_share_one_token_fetched_once(settings: Any, sandbox: Any) -> None:
    clients = [client_for(settings) for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        tokens = list(pool.map(lambda c: c.access_token, clients))
    assert len(set(tokens)) == 1
    assert token_calls(sandbox) == 1


def test_expired_token_is_refreshed_once_and_the_call_retried(settings: Any, sandbox: Any) -> None:
    first = client_for(settings)
    first.message.send_text("o-token", "hello")
    sandbox.expire_tokens()
    second = client_for(settings)
    second.message.send_text("o-token", "again")
    first.message.send_text("o-token", "third")
    assert [m["content"] for m in sandbox.messages("o-token")] == ["hello", "again", "third"]
    assert token_calls(sandbox) == 2


def test_every_call_goes_to_the_configured_base_url(settings: Any, sandbox: Any) -> None:
    client = client_for(settings)
    client.message.send_text("o-base", "x")
    paths = {call["path"] for call in sandbox.calls()}
    assert "/cgi-bin/message/custom/send" in paths


def test_a_token_rejected_again_after_refresh_fails_instead_of_looping(settings: Any, sandbox: Any) -> None:
    import pytest
    from wechatpy.exceptions import WeChatClientException

    client = client_for(settings)
    sandbox.fault("/cgi-bin/message/custom/send", errcode=40001)
    with pytest.raises(WeChatClientException):
        client.message.send_text("o-loop", "x")
    sends = [c for c in sandbox.calls() if c["path"] == "/cgi-bin/message/custom/send"]
    assert len(sends) == 2


def test_a_network_error_never_shows_the_access_token(settings: Any, sandbox: Any) -> None:
    import pytest
    from wechatpy.exceptions import WeChatClientException

    token = client_for(settings).access_token        # fetched and shared through Redis
    unreachable = WeChatClient(settings.app_id, settings.app_secret, redis.Redis.from_url(REDIS_URL),
                               settings.redis_prefix, api_base_url="http://127.0.0.1:9", timeout=5)
    with pytest.raises(WeChatClientException) as caught:
        unreachable.user.get_followers()
    assert "network error" in str(caught.value) and token not in str(caught.value)
    assert "access_token=***" in str(caught.value)
