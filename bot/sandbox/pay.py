"""Fake WeChat Pay APIv3 (JSAPI/Native order, query, close), every response signed with the platform key."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Blueprint, Response, current_app, request

from bot.sandbox.common import body_json, state
from bot.sandbox.notify import CHINA, Notifier, rfc3339, transaction_of
from bot.sandbox.signing import verify_request, wechatpay_headers
from bot.sandbox.state import State

bp = Blueprint("sandbox_pay", __name__, url_prefix="/v3/pay")
EXTENSION = "wechat_sandbox_pay"
OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
SAME_ORDER_KEYS = (
    "appid",
    "mchid",
    "description",
    "amount",
    "payer",
    "trade_type",
    "attach",
)
STATE_DESC = {"NOTPAY": "未支付", "SUCCESS": "支付成功", "CLOSED": "已关闭"}


@dataclass(frozen=True)
class PayRuntime:
    """Loaded keys and the notifier of one sandbox app."""

    platform_key: rsa.RSAPrivateKey
    key_id: str
    merchant_key: rsa.RSAPublicKey | None
    notifier: Notifier


class PayError(Exception):
    """An APIv3 error: HTTP status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def runtime() -> PayRuntime:
    """The pay runtime of the current app."""
    return current_app.extensions[EXTENSION]


def signed(status: int, data: Any = None) -> Response:
    """A JSON (or empty) response carrying Wechatpay-* signature headers over its exact body."""
    body = "" if data is None else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    rt = runtime()
    response = Response(body, status=status, content_type="application/json; charset=utf-8")
    response.headers.update(wechatpay_headers(rt.platform_key, rt.key_id, body))
    response.headers["Request-ID"] = secrets.token_hex(16)
    return response


def error(status: int, code: str, message: str) -> Response:
    """A signed APIv3 error answer."""
    return signed(status, {"code": code, "message": message})


@bp.errorhandler(PayError)
def pay_error(exc: PayError) -> Response:
    return error(exc.status, exc.code, exc.message)


@bp.before_request
def check_signature() -> Response | None:
    rt = runtime()
    if rt.merchant_key is None:
        return None
    path_qs = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    fields = verify_request(
        rt.merchant_key,
        request.headers.get("Authorization", ""),
        request.method,
        path_qs,
        request.get_data(as_text=True),
    )
    if fields is None:
        return error(401, "SIGN_ERROR", "签名错误，请检查后再试")
    if fields["mchid"] != state().config.mch_id:
        return error(401, "SIGN_ERROR", "商户号与签名不符")
    return None


@bp.after_request
def sign_everything(response: Response) -> Response:
    if "Wechatpay-Signature" not in response.headers:
        body = response.get_data(as_text=True)
        rt = runtime()
        response.headers.update(wechatpay_headers(rt.platform_key, rt.key_id, body))
    return response


def _validate(data: Any, trade_type: str, st: State) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise PayError(400, "PARAM_ERROR", "请求体不是合法的JSON")
    for name in (
        "appid",
        "mchid",
        "description",
        "out_trade_no",
        "notify_url",
        "amount",
    ):
        if not data.get(name):
            raise PayError(
                400,
                "PARAM_ERROR",
                f"输入源“/body/{name}”映射到字段“{name}”必填性规则校验失败，此字段为必填项",
            )
    if data["mchid"] != st.config.mch_id:
        raise PayError(400, "MCH_NOT_EXISTS", "商户号不存在")
    if data["appid"] != st.config.app_id:
        raise PayError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
    if not isinstance(data["out_trade_no"], str) or not OUT_TRADE_NO.match(data["out_trade_no"]):
        raise PayError(400, "PARAM_ERROR", "out_trade_no 须为6-32位数字、大小写字母或_-|*")
    if not isinstance(data["description"], str) or len(data["description"]) > 127:
        raise PayError(400, "PARAM_ERROR", "description 长度不能超过127")
    url = urlsplit(str(data["notify_url"]))
    if url.scheme not in ("http", "https") or not url.netloc:
        raise PayError(400, "PARAM_ERROR", "notify_url 格式错误")
    amount = data["amount"]
    total = amount.get("total") if isinstance(amount, dict) else None
    if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
        raise PayError(
            400,
            "PARAM_ERROR",
            "输入源“/body/amount/total”映射到值字段“总金额”规则校验失败，值必须为正整数",
        )
    if amount.get("currency", "CNY") != "CNY":
        raise PayError(400, "PARAM_ERROR", "currency 只支持 CNY")
    if trade_type == "JSAPI":
        payer = data.get("payer")
        if not isinstance(payer, dict) or not payer.get("openid"):
            raise PayError(400, "PARAM_ERROR", "JSAPI 下单必须传 payer.openid")
    if data.get("time_expire"):
        try:
            expire = datetime.fromisoformat(str(data["time_expire"]))
        except ValueError as exc:
            raise PayError(400, "PARAM_ERROR", "time_expire 格式错误") from exc
        if expire.tzinfo is not None and expire.timestamp() < time.time():
            raise PayError(400, "PARAM_ERROR", "time_expire 已过期")
    return data


def _new_order(data: dict[str, Any], trade_type: str) -> dict[str, Any]:
    now = time.time()
    order: dict[str, Any] = {
        "out_trade_no": data["out_trade_no"],
        "appid": data["appid"],
        "mchid": data["mchid"],
        "description": data["description"],
        "amount": {
            "total": data["amount"]["total"],
            "currency": data["amount"].get("currency", "CNY"),
        },
        "payer": data.get("payer"),
        "attach": data.get("attach", ""),
        "notify_url": data["notify_url"],
        "time_expire": data.get("time_expire"),
        "trade_type": trade_type,
        "trade_state": "NOTPAY",
        "trade_state_desc": STATE_DESC["NOTPAY"],
        "created": now,
        "request": data,
    }
    stamp = datetime.fromtimestamp(now, CHINA).strftime("%Y%m%d%H%M%S")
    if trade_type == "JSAPI":
        order["prepay_id"] = f"wx{stamp}{secrets.token_hex(10)}"
    else:
        order["code_url"] = f"weixin://wxpay/bizpayurl?pr={secrets.token_urlsafe(6)[:7]}"
    return order


def _place(trade_type: str) -> Response:
    st = state()
    data = _validate(body_json(), trade_type, st)
    with st.lock:
        order = st.orders.get(data["out_trade_no"])
        if order is None:
            order = _new_order(data, trade_type)
            st.orders[order["out_trade_no"]] = order
        else:
            if order["trade_state"] == "SUCCESS":
                raise PayError(400, "ORDERPAID", "该订单已支付")
            if order["trade_state"] == "CLOSED":
                raise PayError(400, "ORDER_CLOSED", "当前订单已关闭，请重新下单")
            if (
                any(order["request"].get(k) != data.get(k) for k in SAME_ORDER_KEYS if k != "trade_type")
                or order["trade_type"] != trade_type
            ):
                raise PayError(400, "INVALID_REQUEST", "201 商户订单号重复")
    if trade_type == "JSAPI":
        return signed(200, {"prepay_id": order["prepay_id"]})
    return signed(200, {"code_url": order["code_url"]})


@bp.post("/transactions/jsapi")
def jsapi() -> Response:
    """POST /v3/pay/transactions/jsapi → {prepay_id}; the same request again gets the same prepay_id."""
    return _place("JSAPI")


@bp.post("/transactions/native")
def native() -> Response:
    """POST /v3/pay/transactions/native → {code_url}."""
    return _place("NATIVE")


def _query(st: State, order: dict[str, Any] | None) -> Response:
    if request.args.get("mchid") != st.config.mch_id:
        raise PayError(400, "PARAM_ERROR", "mchid 与订单不匹配")
    if order is None:
        raise PayError(404, "ORDER_NOT_EXIST", "订单不存在")
    return signed(200, transaction_of(order))


@bp.get("/transactions/out-trade-no/<out_trade_no>")
def query(out_trade_no: str) -> Response:
    """GET /v3/pay/transactions/out-trade-no/{no}?mchid=: the transaction."""
    st = state()
    with st.lock:
        return _query(st, st.orders.get(out_trade_no))


@bp.get("/transactions/id/<transaction_id>")
def query_by_id(transaction_id: str) -> Response:
    """GET /v3/pay/transactions/id/{transaction_id}?mchid=: the transaction."""
    st = state()
    with st.lock:
        found = next(
            (o for o in st.orders.values() if o.get("transaction_id") == transaction_id),
            None,
        )
        return _query(st, found)


@bp.post("/transactions/out-trade-no/<out_trade_no>/close")
def close(out_trade_no: str) -> Response:
    """POST …/close {mchid} → 204; a paid order cannot be closed (ORDERPAID)."""
    data = body_json()
    st = state()
    if not isinstance(data, dict) or data.get("mchid") != st.config.mch_id:
        raise PayError(400, "PARAM_ERROR", "mchid 必填且须与商户号一致")
    with st.lock:
        order = st.orders.get(out_trade_no)
        if order is None:
            raise PayError(404, "ORDER_NOT_EXIST", "订单不存在")
        if order["trade_state"] == "SUCCESS":
            raise PayError(400, "ORDERPAID", "订单已支付")
        if order["trade_state"] != "CLOSED":
            order["trade_state"] = "CLOSED"
            order["trade_state_desc"] = STATE_DESC["CLOSED"]
            order["closed_at"] = time.time()
    return signed(204)


def pay_order(
    st: State,
    out_trade_no: str,
    fault: str | None = None,
    options: dict[str, Any] | None = None,
    openid: str | None = None,
) -> dict[str, Any]:
    """Pay an order as its payer would and start its notify; raises PayError like the platform refuses."""
    rt = runtime()
    with st.lock:
        order = st.orders.get(out_trade_no)
        if order is None:
            raise PayError(404, "ORDER_NOT_EXIST", "订单不存在")
        if order["trade_state"] == "SUCCESS":
            raise PayError(400, "ORDERPAID", "该订单已支付")
        if order["trade_state"] == "CLOSED" and fault != "late":
            raise PayError(400, "ORDER_CLOSED", "订单已关闭")
        now = time.time()
        order["trade_state"] = "SUCCESS"
        order["trade_state_desc"] = STATE_DESC["SUCCESS"]
        stamp = datetime.fromtimestamp(now, CHINA).strftime("%Y%m%d")
        order["transaction_id"] = f"4200{secrets.randbelow(10**6):06d}{stamp}{secrets.randbelow(10**10):010d}"
        order["success_time"] = rfc3339(now)
        order["paid_fault"] = fault
        if not order.get("payer"):
            order["payer"] = {"openid": openid or st.config.default_openid}
        snapshot = dict(order)
    notify_id = rt.notifier.send(snapshot, fault, options)
    result = transaction_of(snapshot)
    result["notify_id"] = notify_id
    return result
