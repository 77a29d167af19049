"""Article pages: preview and price for everyone, the full text for buyers; chat-link and OAuth identity."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import select

from bot.identity import COOKIE_NAME
from bot.models import Entitlement, Signal
from tests.handlers.pay_kit import BUYER, ITEM, WECHAT_UA

PREVIEW = "抓取 500 个网页"
PAID = "asyncio.Semaphore(20)"


def _identified(client: Any, deps: Any, openid: str = BUYER) -> Any:
    response = client.get(f"/articles/{ITEM}?t={deps.identity.link_token(openid)}")
    assert response.status_code == 302 and response.headers["Location"] == f"/articles/{ITEM}"
    assert COOKIE_NAME in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    return client.get(f"/articles/{ITEM}")


def test_unknown_article_is_a_404_page(client: Any) -> None:
    response = client.get("/articles/no-such-thing")
    assert response.status_code == 404 and "文章不存在" in response.get_data(as_text=True)


def test_everyone_sees_title_price_summary_and_preview_but_not_the_paid_part(client: Any) -> None:
    response = client.get(f"/articles/{ITEM}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    for expected in ("asyncio 入门", "¥19.90", "林一舟", "用 asyncio 和 aiohttp 从零写", PREVIEW, 'id="buy"'):
        assert expected in page
    assert PAID not in page and "已购" not in page
    assert "<script src" not in page and "<link" not in page


def test_a_chat_link_identifies_the_reader_and_records_the_visit(client: Any, deps: Any) -> None:
    page = _identified(client, deps).get_data(as_text=True)
    assert 'id="buy"' in page and PAID not in page
    with deps.sessions() as session:
        kinds = session.execute(select(Signal.kind, Signal.item_id).where(Signal.openid == BUYER)).all()
    assert ("opened", ITEM) in kinds


def test_a_forged_link_token_is_ignored(client: Any, deps: Any) -> None:
    response = client.get(f"/articles/{ITEM}?t={deps.identity.link_token(BUYER)}x")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert 'id="stale-link"' in response.get_data(as_text=True)      # the reader is told, not left guessing
    assert 'id="stale-link"' not in client.get(f"/articles/{ITEM}").get_data(as_text=True)


def test_a_buyer_reads_the_full_text_with_no_buy_button(client: Any, deps: Any) -> None:
    with deps.sessions.begin() as session:
        session.add(Entitlement(openid=BUYER, item_id=ITEM, out_trade_no=None))
    page = _identified(client, deps).get_data(as_text=True)
    assert PAID in page and PREVIEW in page and "已购" in page and 'id="buy"' not in page


def test_inside_wechat_the_reader_is_identified_by_oauth_once(client: Any, deps: Any, sandbox: Any) -> None:
    start = client.get(f"/articles/{ITEM}", headers={"User-Agent": WECHAT_UA})
    location = start.headers["Location"]
    assert start.status_code == 302 and location.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(location).query)
    assert query["scope"] == ["snsapi_base"] and query["appid"] == [deps.settings.app_id]
    authorized = requests.get(location.split("#")[0] + f"&openid={BUYER}", allow_redirects=False, timeout=10)
    back = urlsplit(authorized.headers["Location"])
    callback = f"{back.path}?{back.query}"
    done = client.get(callback)
    assert done.status_code == 302 and done.headers["Location"] == f"/articles/{ITEM}"
    assert client.get(callback).status_code == 302
    assert len(sandbox.calls("/sns/oauth2/access_token")) == 1
    page = client.get(f"/articles/{ITEM}", headers={"User-Agent": WECHAT_UA})
    assert page.status_code == 200 and 'data-in-wechat="yes"' in page.get_data(as_text=True)
    assert client.post(f"/articles/{ITEM}/order", headers={"User-Agent": WECHAT_UA}).status_code == 201


def test_an_oauth_callback_without_its_state_is_refused(client: Any) -> None:
    response = client.get(f"/oauth/wechat?code=abc&state=forged&next=/articles/{ITEM}")
    assert response.status_code == 400 and COOKIE_NAME not in response.headers.get("Set-Cookie", "")
