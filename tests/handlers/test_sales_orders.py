"""Buying: one open order per subscriber and item, priced from the KB, JSAPI inside WeChat and Native elsewhere."""

from __future__ import annotations

import base64
import dataclasses
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import func, select

from bot.models import Entitlement, Order, Product
from bot.sandbox import ensure_dev_keys
from handlers import products
from tests.handlers.pay_kit import BUYER, ITEM, WECHAT_UA

PRICE = 1990


def _as(client: Any, deps: Any, openid: str = BUYER) -> Any:
    client.get(f"/articles/{ITEM}?t={deps.identity.link_token(openid)}")
    return client


def _open_orders(deps: Any) -> list[Order]:
    with deps.sessions() as session:
        return list(session.scalars(select(Order).where(Order.state == "CREATED")))


def test_ordering_needs_an_identity(client: Any) -> None:
    response = client.post(f"/articles/{ITEM}/order")
    assert response.status_code == 401
    assert client.get("/orders/KP000000000000000000000001").status_code == 401


def test_native_order_is_priced_from_the_kb_reused_and_only_visible_to_its_buyer(client: Any, deps: Any,
                                                                               sandbox: Any, app: Any) -> None:
    buyer = _as(client, deps)
    first = buyer.post(f"/articles/{ITEM}/order", json={"amount": 1, "price": 1})
    body = first.get_json()
    assert first.status_code == 201 and body["amount"] == PRICE
    assert body["code_url"].startswith("weixin://") and body["qr_svg"].startswith("<svg")
    assert f"/sandbox/pay/{body['out_trade_no']}?return_url=" in body["pay_url"]
    placed = sandbox.order(body["out_trade_no"])
    assert placed["amount"]["total"] == PRICE and placed["trade_type"] == "NATIVE"
    again = buyer.post(f"/articles/{ITEM}/order").get_json()
    assert again["out_trade_no"] == body["out_trade_no"] and again["code_url"] == body["code_url"]
    assert len(_open_orders(deps)) == 1
    assert buyer.get(f"/orders/{body['out_trade_no']}").get_json() == {"state": "CREATED"}
    stranger = _as(app.test_client(), deps, "oStranger000000000000000000001")
    assert stranger.get(f"/orders/{body['out_trade_no']}").status_code == 404


def test_jsapi_inside_wechat_is_signed_by_the_merchant_and_replaces_a_native_order(client: Any, deps: Any,
                                                                                 sandbox: Any, keys_dir: Path) -> None:
    buyer = _as(client, deps)
    native = buyer.post(f"/articles/{ITEM}/order").get_json()
    response = buyer.post(f"/articles/{ITEM}/order", headers={"User-Agent": WECHAT_UA})
    body = response.get_json()
    assert response.status_code == 201 and body["out_trade_no"] != native["out_trade_no"]
    assert "code_url" not in body and body["amount"] == PRICE
    params = body["jsapi"]
    assert params["package"].startswith("prepay_id=wx") and params["signType"] == "RSA"
    assert params["appId"] == deps.settings.app_id
    key = serialization.load_pem_public_key(ensure_dev_keys(keys_dir).merchant_public_key_pem)
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    key.verify(base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert sandbox.order(body["out_trade_no"])["payer"] == {"openid": BUYER}
    assert sandbox.order(native["out_trade_no"])["trade_state"] == "CLOSED"
    assert [o.out_trade_no for o in _open_orders(deps)] == [body["out_trade_no"]]


def test_owned_items_and_unknown_items_are_refused(client: Any, deps: Any) -> None:
    buyer = _as(client, deps)
    assert buyer.post("/articles/no-such-item/order").status_code == 404
    with deps.sessions.begin() as session:
        session.add(Entitlement(openid=BUYER, item_id=ITEM, out_trade_no=None))
    assert buyer.post(f"/articles/{ITEM}/order").status_code == 409
    assert _open_orders(deps) == []


def test_concurrent_buy_clicks_make_one_order(app: Any, deps: Any, database_url: str, sandbox: Any) -> None:
    results: list[str] = []
    start = threading.Barrier(8)

    def click() -> None:
        buyer = _as(app.test_client(), deps)
        start.wait()
        response = buyer.post(f"/articles/{ITEM}/order")
        results.append(response.get_json()["out_trade_no"])

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len(set(results)) == 1
    with deps.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1


def test_a_paid_order_whose_notify_was_lost_is_granted_when_the_page_polls(client: Any, deps: Any,
                                                                           sandbox: Any) -> None:
    buyer = _as(client, deps)
    no = buyer.post(f"/articles/{ITEM}/order").get_json()["out_trade_no"]
    sandbox.pay(no)
    assert buyer.get(f"/orders/{no}").get_json() == {"state": "PAID"}
    assert buyer.post(f"/articles/{ITEM}/order").status_code == 409
    page = buyer.get(f"/articles/{ITEM}").get_data(as_text=True)
    assert "已购" in page and "asyncio.Semaphore(20)" in page


def test_products_mirror_the_kb_and_items_removed_from_it_are_retired(deps: Any) -> None:
    with deps.sessions() as session:
        mirrored = {p.id: p for p in session.scalars(select(Product))}
    assert mirrored[ITEM].price_fen == PRICE and mirrored[ITEM].active
    assert set(mirrored) == set(deps.knowledge.engine.kb.items)
    kb = deps.knowledge.engine.kb
    products.mirror(deps, type("KB", (), {"items": {ITEM: kb.items[ITEM]}})())
    with deps.sessions() as session:
        active = set(session.scalars(select(Product.id).where(Product.active.is_(True))))
    assert active == {ITEM}


def test_a_new_kb_price_replaces_the_open_order(client: Any, deps: Any, sandbox: Any, monkeypatch: Any) -> None:
    buyer = _as(client, deps)
    old = buyer.post(f"/articles/{ITEM}/order").get_json()
    items = deps.knowledge.engine.kb.items
    monkeypatch.setitem(items, ITEM, dataclasses.replace(items[ITEM], price_fen=2990))
    new = buyer.post(f"/articles/{ITEM}/order").get_json()
    assert new["amount"] == 2990 and new["out_trade_no"] != old["out_trade_no"]
    assert sandbox.order(new["out_trade_no"])["amount"]["total"] == 2990
    assert sandbox.order(old["out_trade_no"])["trade_state"] == "CLOSED"
    assert [o.out_trade_no for o in _open_orders(deps)] == [new["out_trade_no"]]
