"""Buying an item: one open order per subscriber and item, priced from the KB, placed with WeChat Pay."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import segno
from flask import Blueprint, Response, jsonify, request
from redis import RedisError
from redis.exceptions import LockError
from sqlalchemy import select, update

from bot.deps import Deps
from bot.errors import Conflict, NotFound, Unavailable, Upstream
from bot.logs import hash_openid
from bot.models import Entitlement, Order, utcnow
from handlers import paygate, products, reconcile, visitor

log = logging.getLogger(__name__)
REUSE_FOR = timedelta(minutes=25)
LOCK_TTL = 30
POLL_SYNC_EVERY = 3


@dataclass(frozen=True)
class Checkout:
    """An order ready to pay: JSAPI parameters inside WeChat, a code_url elsewhere."""

    out_trade_no: str
    amount: int
    jsapi: dict[str, str] | None = None
    code_url: str | None = None


def new_out_trade_no() -> str:
    """A unique, unguessable merchant order number (28 characters)."""
    return "KP" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(6).upper()


def owns(deps: Deps, openid: str, item_id: str) -> bool:
    """True when the subscriber holds the item."""
    with deps.sessions() as session:
        found = session.scalar(select(Entitlement.id).where(Entitlement.openid == openid,
                                                            Entitlement.item_id == item_id))
    return found is not None


def _open_order(deps: Deps, openid: str, item_id: str) -> Order | None:
    with deps.sessions() as session:
        return session.scalars(
            select(Order).where(Order.openid == openid, Order.item_id == item_id, Order.state == "CREATED")
            .order_by(Order.created_at.desc())
        ).first()


def _reusable(order: Order, channel: str, price_fen: int) -> bool:
    return order.channel == channel and order.amount_fen == price_fen and utcnow() - order.created_at < REUSE_FOR


def _create(deps: Deps, openid: str, item: Any, channel: str) -> Order:
    with deps.sessions.begin() as session:
        products.upsert(session, [item])
        order = Order(out_trade_no=new_out_trade_no(), openid=openid, item_id=item.id, amount_fen=item.price_fen,
                      channel=channel, state="CREATED")
        session.add(order)
    log.info("order %s created: buyer=%s item=%s amount=%d channel=%s", order.out_trade_no, hash_openid(openid),
             item.id, order.amount_fen, channel)
    return order


def _place(deps: Deps, order: Order, title: str) -> Order | None:
    """Place the order with WeChat Pay and keep its prepay_id / code_url; None when the platform closed it."""
    jsapi = order.channel == "JSAPI"
    answer = paygate.place(deps, order.out_trade_no, title, order.amount_fen, order.openid, jsapi)
    if answer.code == "ORDERPAID":
        reconcile.sync(deps, order.out_trade_no)
        raise Conflict("already bought")
    if answer.code == "ORDER_CLOSED":
        reconcile.mark_closed(deps, order.out_trade_no)
        return None
    if not answer.ok:
        raise Upstream(f"WeChat Pay refused the order: {answer.code or answer.status}")
    field = "prepay_id" if jsapi else "code_url"
    value = str(answer.data.get(field, ""))
    with deps.sessions.begin() as session:
        session.execute(update(Order).where(Order.out_trade_no == order.out_trade_no).values({field: value}))
    setattr(order, field, value)
    return order


def _retire(deps: Deps, order: Order) -> None:
    """Close an open order that can no longer be reused (other channel, new price, too old)."""
    result = reconcile.close(deps, order.out_trade_no)
    if result == "paid":
        raise Conflict("already bought")
    if result == "kept":
        raise Upstream("WeChat Pay would not close the previous order; try again")


def checkout(deps: Deps, openid: str, item_id: str, jsapi: bool) -> Checkout:
    """Reuse or create the subscriber's open order for an item and get it ready to pay; 409 when owned."""
    item = deps.knowledge.engine.kb.items.get(item_id)
    if item is None:
        raise NotFound("no such item")
    channel = "JSAPI" if jsapi else "NATIVE"
    try:
        with deps.redis.lock(f"{deps.prefix}sales:checkout:{openid}:{item_id}", timeout=LOCK_TTL, blocking_timeout=15):
            order = _ready(deps, openid, item, channel)
    except LockError as exc:
        raise Unavailable("another checkout for this item is in progress") from exc
    except RedisError as exc:
        raise Unavailable("checkout unavailable: Redis is down") from exc
    if jsapi:
        return Checkout(order.out_trade_no, order.amount_fen, jsapi=paygate.jsapi_params(deps, order.prepay_id or ""))
    return Checkout(order.out_trade_no, order.amount_fen, code_url=order.code_url)


def _ready(deps: Deps, openid: str, item: Any, channel: str) -> Order:
    """Under the checkout lock: the open order for (openid, item), placed with WeChat Pay."""
    for _attempt in range(3):
        if owns(deps, openid, item.id):
            raise Conflict("already bought")
        order = _open_order(deps, openid, item.id)
        if order is not None and not _reusable(order, channel, item.price_fen):
            _retire(deps, order)
            continue
        order = order or _create(deps, openid, item, channel)
        if order.prepay_id or order.code_url:
            return order
        placed = _place(deps, order, item.title)
        if placed is not None:
            return placed
    raise Upstream("WeChat Pay keeps closing new orders")


def state_of(deps: Deps, openid: str, out_trade_no: str) -> str:
    """CREATED, PAID or CLOSED for the subscriber's own order (404 for anyone else's); an open order is checked
    with WeChat Pay every few seconds while the buyer's page polls, so a lost notify does not keep them waiting."""
    state = _state(deps, openid, out_trade_no)
    if state == "CREATED" and _due(deps, out_trade_no):
        try:
            reconcile.sync(deps, out_trade_no)
        except Upstream as exc:
            log.warning("order %s not checked while polled: %s", out_trade_no, exc.message)
            return state
        state = _state(deps, openid, out_trade_no)
    return state


def _state(deps: Deps, openid: str, out_trade_no: str) -> str:
    with deps.sessions() as session:
        state = session.scalar(select(Order.state).where(Order.out_trade_no == out_trade_no, Order.openid == openid))
    if state is None:
        raise NotFound("no such order")
    return state


def _due(deps: Deps, out_trade_no: str) -> bool:
    try:
        return bool(deps.redis.set(f"{deps.prefix}sales:polled:{out_trade_no}", "1", nx=True, ex=POLL_SYNC_EVERY))
    except RedisError:
        return False


def qr_svg(code_url: str) -> str:
    """The code_url as an inline SVG QR code."""
    return segno.make(code_url, error="m").svg_inline(scale=5, border=2)


def make_blueprint(deps: Deps) -> Blueprint:
    """`POST /articles/<id>/order` and `GET /orders/<out_trade_no>` for the identified visitor."""
    bp = Blueprint("orders", __name__)

    @bp.post("/articles/<item_id>/order")
    def order(item_id: str) -> tuple[Response, int]:
        openid = visitor.required(deps, request)
        result = checkout(deps, openid, item_id, visitor.in_wechat(request))
        body: dict[str, Any] = {"out_trade_no": result.out_trade_no, "amount": result.amount}
        if result.jsapi is not None:
            body["jsapi"] = result.jsapi
        else:
            body["code_url"] = result.code_url
            body["qr_svg"] = qr_svg(result.code_url or "")
        if deps.settings.sandbox and deps.settings.pay is not None:
            back = f"{deps.settings.public_base_url}/articles/{quote(item_id)}"
            body["pay_url"] = (f"{deps.settings.pay.api_base_url}/sandbox/pay/{result.out_trade_no}"
                               f"?return_url={quote(back, safe='')}")
        return jsonify(body), 201

    @bp.get("/orders/<out_trade_no>")
    def order_state(out_trade_no: str) -> Response:
        return jsonify(state=state_of(deps, visitor.required(deps, request), out_trade_no))

    return bp
