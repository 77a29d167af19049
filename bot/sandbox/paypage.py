"""The sandbox's cashier: a plain HTML page showing an order with a 确认支付 button, and the pay action."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, request

from bot.sandbox.common import body_json, json_response, state
from bot.sandbox.notify import PAY_FAULTS
from bot.sandbox.pay import PayError, pay_order

bp = Blueprint("sandbox_paypage", __name__, url_prefix="/sandbox/pay")

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>{refresh}
<style>
body{{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#ededed;margin:0;padding:24px}}
.card{{background:#fff;border-radius:8px;max-width:420px;margin:0 auto;padding:24px;text-align:center}}
.amount{{font-size:40px;font-weight:600;margin:12px 0}}
.meta{{color:#888;font-size:13px;text-align:left;word-break:break-all}}
button{{background:#07c160;color:#fff;border:0;border-radius:6px;font-size:17px;padding:12px;width:100%}}
.state{{font-size:18px;margin:16px 0}}
</style></head><body><div class="card">
<div>{description}</div>
<div class="amount">¥{yuan}</div>
<div class="state" id="trade-state">{state_desc}</div>
{action}{back}
<p class="meta">商户单号 {out_trade_no}<br>{trade_type} · {mchid}{transaction}</p>
</div></body></html>"""


def _return_url(value: object) -> str | None:
    """The merchant page to go back to after paying (http or https only)."""
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
        return value
    return None


def _page(
    order: dict[str, Any] | None,
    out_trade_no: str,
    message: str | None = None,
    status: int = 200,
    return_url: str | None = None,
) -> Response:
    if order is None:
        body = PAGE.format(
            title="订单不存在",
            description="订单不存在",
            yuan="0.00",
            state_desc="ORDER_NOT_EXIST",
            action="",
            out_trade_no=escape(out_trade_no),
            trade_type="",
            mchid="",
            transaction="",
            refresh="",
            back="",
        )
        return Response(body, status=404, content_type="text/html; charset=utf-8")
    total = order["amount"]["total"]
    action = ""
    back = refresh = ""
    if order["trade_state"] == "NOTPAY":
        hidden = f'<input type="hidden" name="return_url" value="{escape(return_url)}">' if return_url else ""
        action = (
            f'<form method="post" action="/sandbox/pay/{escape(out_trade_no)}">{hidden}'
            '<button type="submit" id="confirm-pay">确认支付</button></form>'
        )
    elif return_url:
        back = f'<p><a id="return" href="{escape(return_url)}">返回商户</a></p>'
        if order["trade_state"] == "SUCCESS":
            refresh = f'\n<meta http-equiv="refresh" content="1;url={escape(return_url)}">'
    transaction = f"<br>微信支付单号 {escape(order['transaction_id'])}" if order.get("transaction_id") else ""
    body = PAGE.format(
        title="微信支付（沙箱）",
        description=escape(order["description"]),
        yuan=f"{total // 100}.{total % 100:02d}",
        state_desc=escape(message or order["trade_state_desc"]),
        action=action,
        out_trade_no=escape(out_trade_no),
        trade_type=escape(order["trade_type"]),
        mchid=escape(order["mchid"]),
        transaction=transaction,
        refresh=refresh,
        back=back,
    )
    return Response(body, status=status, content_type="text/html; charset=utf-8")


@bp.get("/<out_trade_no>")
def show(out_trade_no: str) -> Response:
    """The order with a 确认支付 button while unpaid; ?return_url= is where the page goes back after paying."""
    st = state()
    with st.lock:
        order = st.orders.get(out_trade_no)
        return _page(
            dict(order) if order else None, out_trade_no, return_url=_return_url(request.args.get("return_url"))
        )


@bp.post("/<out_trade_no>")
def pay(out_trade_no: str) -> Response:
    """Pay the order and fire its notify; JSON {fault?, count?, delay?, amount?, openid?} or the page's form."""
    data = body_json() if request.is_json else None
    wants_html = data is None and not request.is_json
    params: dict[str, Any] = data if isinstance(data, dict) else dict(request.form)
    fault = params.get("fault") or None
    if fault is not None and fault not in PAY_FAULTS:
        return json_response(
            {
                "code": "PARAM_ERROR",
                "message": f"fault must be one of {', '.join(PAY_FAULTS)}",
            },
            400,
        )
    st = state()
    return_url = _return_url(params.get("return_url"))
    try:
        result = pay_order(st, out_trade_no, fault, params, params.get("openid"))
    except PayError as exc:
        if wants_html:
            with st.lock:
                order = st.orders.get(out_trade_no)
                return _page(
                    dict(order) if order else None,
                    out_trade_no,
                    exc.message,
                    exc.status,
                    return_url,
                )
        return json_response({"code": exc.code, "message": exc.message}, exc.status)
    if wants_html:
        with st.lock:
            return _page(dict(st.orders[out_trade_no]), out_trade_no, "支付成功", return_url=return_url)
    return json_response(result)
