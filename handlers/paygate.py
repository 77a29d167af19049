"""WeChat Pay APIv3 calls the sales flow makes (order, query, close, refund), with errors as service errors."""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests
from wechatpayv3 import WeChatPayType

from bot.deps import Deps
from bot.errors import Upstream

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PayAnswer:
    """One APIv3 answer: HTTP status, the error code if any, and the JSON body."""

    status: int
    code: str
    data: dict[str, Any]

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return 200 <= self.status < 300


def _client(deps: Deps) -> Any:
    if deps.pay is None:
        raise Upstream("WeChat Pay is not configured")
    return deps.pay


def _call(what: str, fn: Any, **kwargs: Any) -> PayAnswer:
    try:
        status, message = fn(**kwargs)
    except requests.RequestException as exc:
        raise Upstream(f"WeChat Pay {what} failed: {type(exc).__name__}") from exc
    except Exception as exc:
        raise Upstream(f"WeChat Pay {what} failed: {exc}") from exc
    try:
        data = json.loads(message) if message else {}
    except (TypeError, ValueError):
        data = {}
    data = data if isinstance(data, dict) else {}
    answer = PayAnswer(status, str(data.get("code", "")), data)
    if status >= 500:
        raise Upstream(f"WeChat Pay {what} failed: {status} {answer.code}")
    return answer


def place(deps: Deps, out_trade_no: str, description: str, amount_fen: int, openid: str, jsapi: bool) -> PayAnswer:
    """JSAPI (payer = the subscriber) or Native order; the same request again returns the same prepay."""
    pay = _client(deps)
    kwargs: dict[str, Any] = {
        "description": description[:127],
        "out_trade_no": out_trade_no,
        "amount": {"total": amount_fen, "currency": "CNY"},
        "pay_type": WeChatPayType.JSAPI if jsapi else WeChatPayType.NATIVE,
    }
    if jsapi:
        kwargs["payer"] = {"openid": openid}
    return _call("order", pay.pay, **kwargs)


def query(deps: Deps, out_trade_no: str) -> PayAnswer:
    """The platform's view of an order (a transaction object, or 404 ORDER_NOT_EXIST)."""
    return _call("query", _client(deps).query, out_trade_no=out_trade_no)


def close(deps: Deps, out_trade_no: str) -> PayAnswer:
    """Close an unpaid order: 204, or 400 ORDERPAID when it was paid meanwhile."""
    return _call("close", _client(deps).close, out_trade_no=out_trade_no)


def refund(deps: Deps, out_refund_no: str, transaction_id: str, amount_fen: int, reason: str) -> PayAnswer:
    """Give a whole payment back; the same out_refund_no again is answered with the first refund."""
    return _call("refund", _client(deps).refund, out_refund_no=out_refund_no, transaction_id=transaction_id,
                 amount={"refund": amount_fen, "total": amount_fen, "currency": "CNY"}, reason=reason[:80])


def query_refund(deps: Deps, out_refund_no: str) -> PayAnswer:
    """The platform's view of a refund (its status), or 404 RESOURCE_NOT_EXISTS."""
    return _call("refund query", _client(deps).query_refund, out_refund_no=out_refund_no)


def jsapi_params(deps: Deps, prepay_id: str) -> dict[str, str]:
    """The signed parameters WeixinJSBridge `getBrandWCPayRequest` takes."""
    app_id = deps.settings.app_id
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    package = f"prepay_id={prepay_id}"
    sign = _client(deps).sign([app_id, timestamp, nonce, package])
    return {"appId": app_id, "timeStamp": timestamp, "nonceStr": nonce, "package": package,
            "signType": "RSA", "paySign": sign}
