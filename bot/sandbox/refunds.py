"""Fake WeChat Pay APIv3 refunds: apply for a refund of a paid order and query it, signed like the rest."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from flask import Blueprint, Response

from bot.sandbox import pay
from bot.sandbox.common import body_json, state
from bot.sandbox.notify import rfc3339
from bot.sandbox.pay import PayError, signed

bp = Blueprint("sandbox_refunds", __name__, url_prefix="/v3/refund/domestic")
bp.before_request(pay.check_signature)
bp.after_request(pay.sign_everything)
bp.register_error_handler(PayError, pay.pay_error)
OUT_REFUND_NO = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")


def _amount(data: dict[str, Any]) -> tuple[int, int]:
    amount = data.get("amount")
    if not isinstance(amount, dict) or amount.get("currency", "CNY") != "CNY":
        raise PayError(400, "PARAM_ERROR", "amount 必填，币种只支持 CNY")
    refund, total = amount.get("refund"), amount.get("total")
    if not isinstance(refund, int) or not isinstance(total, int) or isinstance(refund, bool) or refund <= 0:
        raise PayError(400, "PARAM_ERROR", "amount.refund 与 amount.total 须为正整数（分）")
    return refund, total


@bp.post("/refunds")
def create() -> Response:
    """POST /v3/refund/domestic/refunds: refund (part of) a paid order; the same out_refund_no is idempotent."""
    data = body_json()
    if not isinstance(data, dict):
        raise PayError(400, "PARAM_ERROR", "请求体须为 JSON 对象")
    no = data.get("out_refund_no")
    if not isinstance(no, str) or not OUT_REFUND_NO.match(no):
        raise PayError(400, "PARAM_ERROR", "out_refund_no 格式错误")
    refund, total = _amount(data)
    st = state()
    with st.lock:
        order = next((o for o in st.orders.values()
                      if (data.get("transaction_id") and o.get("transaction_id") == data["transaction_id"])
                      or (not data.get("transaction_id") and o["out_trade_no"] == data.get("out_trade_no"))), None)
        if order is None or order["trade_state"] != "SUCCESS":
            raise PayError(404, "RESOURCE_NOT_EXISTS", "订单不存在或未支付")
        earlier = st.refunds.get(no)
        if earlier is not None:
            if earlier["out_trade_no"] != order["out_trade_no"] or earlier["amount"]["refund"] != refund:
                raise PayError(400, "INVALID_REQUEST", "同一退款单号的请求参数与首次不一致")
            return signed(200, earlier)
        if total != order["amount"]["total"]:
            raise PayError(400, "PARAM_ERROR", "amount.total 与原订单金额不一致")
        done = sum(r["amount"]["refund"] for r in st.refunds.values() if r["out_trade_no"] == order["out_trade_no"])
        if done + refund > total:
            raise PayError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        now = rfc3339(time.time())
        record = {
            "refund_id": f"50300{secrets.randbelow(10**20):020d}",
            "out_refund_no": no,
            "transaction_id": order["transaction_id"],
            "out_trade_no": order["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": now,
            "success_time": now,
            "status": "SUCCESS",
            "funds_account": "AVAILABLE",
            "reason": str(data.get("reason", ""))[:80],
            "amount": {"total": total, "refund": refund, "payer_total": total, "payer_refund": refund,
                       "settlement_total": total, "settlement_refund": refund, "discount_refund": 0,
                       "currency": "CNY"},
        }
        st.refunds[no] = record
    return signed(200, record)


@bp.get("/refunds/<out_refund_no>")
def query(out_refund_no: str) -> Response:
    """GET /v3/refund/domestic/refunds/{out_refund_no}: one refund."""
    st = state()
    with st.lock:
        record = st.refunds.get(out_refund_no)
    if record is None:
        raise PayError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
    return signed(200, record)
