"""Sandbox-only JSON endpoints: read what was received and delivered, inject faults, seed users, reset."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, request

from bot.sandbox.common import body_json, json_response, state
from bot.sandbox.faults import Fault

bp = Blueprint("sandbox_control", __name__, url_prefix="/sandbox")
DEFAULT_PREFIX = "oSBX"


def _bad(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)


def _float_arg(name: str) -> float | None:
    value = request.args.get(name)
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@bp.get("/calls")
def calls() -> Response:
    """Every API call received, oldest first: ?path= (exact or glob), ?since= (epoch seconds), ?after= (seq)."""
    path = request.args.get("path")
    since, after = _float_arg("since"), _float_arg("after")
    limit = request.args.get("limit", type=int)
    st = state()
    with st.lock:
        found = [
            c
            for c in st.calls
            if (path is None or Fault(path=path).matches(c["path"]))
            and (since is None or c["time"] >= since)
            and (after is None or c["seq"] > after)
        ]
    if limit is not None:
        found = found[-limit:] if limit > 0 else []
    return json_response({"calls": found, "count": len(found)})


@bp.get("/calls/summary")
def calls_summary() -> Response:
    """Count of received calls per path and errcode."""
    st = state()
    summary: dict[str, dict[str, int]] = {}
    with st.lock:
        for c in st.calls:
            per = summary.setdefault(c["path"], {})
            key = "dropped" if c.get("dropped") else str(c.get("errcode", c.get("status")))
            per[key] = per.get(key, 0) + 1
    return json_response({"paths": summary})


@bp.get("/messages")
def messages() -> Response:
    """Messages actually delivered: ?openid= (else all), ?kind=custom|template|mass, ?template_id=, ?since=, ?after=."""
    openid, kind, template_id = request.args.get("openid"), request.args.get("kind"), request.args.get("template_id")
    since, after = _float_arg("since"), _float_arg("after")
    st = state()
    with st.lock:
        pool = st.messages.get(openid, []) if openid else [m for ms in st.messages.values() for m in ms]
        found = [
            m
            for m in pool
            if (kind is None or m["kind"] == kind)
            and (template_id is None or m.get("template_id") == template_id)
            and (since is None or m["time"] >= since)
            and (after is None or m["seq"] > after)
        ]
    if not openid:
        found.sort(key=lambda m: m["seq"])
    return json_response({"messages": found, "count": len(found)})


@bp.get("/deliveries/summary")
def deliveries_summary() -> Response:
    """Per template_id: messages, recipients, openids that got more than one, and (counts=1) every count."""
    template_id = request.args.get("template_id")
    with_counts = request.args.get("counts", "1") not in ("0", "false", "no")
    st = state()
    with st.lock:
        if template_id is None:
            by_template = {
                t: {"messages": sum(c.values()), "recipients": len(c)} for t, c in st.template_counts.items()
            }
            return json_response({"by_template": by_template, "by_kind": dict(st.kind_counts)})
        counts = dict(st.template_counts.get(template_id, {}))
    result: dict[str, Any] = {
        "template_id": template_id,
        "messages": sum(counts.values()),
        "recipients": len(counts),
        "duplicates": {o: n for o, n in counts.items() if n > 1},
    }
    if with_counts:
        result["counts"] = counts
    return json_response(result)


@bp.post("/faults")
def add_fault() -> Response:
    """Add a fault {path, errcode?, errmsg?, status?, latency_ms?, drop?, rate?, count?} → {id}."""
    data = body_json()
    if not isinstance(data, dict):
        return _bad("expected a JSON object")
    st = state()
    with st.lock:
        st.fault_seq += 1
        try:
            fault = Fault.from_json(data, st.fault_seq)
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
        st.faults.append(fault)
    return json_response(fault.to_json(), 201)


@bp.get("/faults")
def list_faults() -> Response:
    """The faults in force, with how often each fired."""
    st = state()
    with st.lock:
        return json_response({"faults": [f.to_json() for f in st.faults]})


@bp.delete("/faults")
def clear_faults() -> Response:
    """Remove every fault."""
    st = state()
    with st.lock:
        st.faults = []
    return json_response({"ok": True})


@bp.post("/reset")
def reset() -> Response:
    """Forget all state, faults and pending notifies."""
    state().reset()
    return json_response({"ok": True})


@bp.post("/users")
def seed_users() -> Response:
    """Subscribe users: {count?, openids?, tags?: [names], prefix?} → {created openids (up to 1000), total}."""
    data = body_json() or {}
    if not isinstance(data, dict):
        return _bad("expected a JSON object")
    count, openids, tags = data.get("count") or 0, data.get("openids") or [], data.get("tags") or []
    if not isinstance(count, int):
        return _bad("count must be an integer")
    prefix = str(data.get("prefix") or DEFAULT_PREFIX)
    if count < 0 or not isinstance(openids, list) or not isinstance(tags, list) or len(prefix) > 22:
        return _bad("count >= 0, openids and tags lists, prefix up to 22 characters")
    st = state()
    with st.lock:
        tag_ids = [st.tag_id(str(t)) for t in tags]
        st.subscribe([str(o) for o in openids], tag_ids)
        created = st.seed(count, prefix, tag_ids)
        total = st.subscriber_count
    return json_response(
        {
            "openids": [str(o) for o in openids] + created[:1000],
            "seeded": len(created),
            "first": created[0] if created else None,
            "last": created[-1] if created else None,
            "total": total,
            "tags": dict(zip(map(str, tags), tag_ids, strict=True)),
        },
        201,
    )


@bp.post("/users/<openid>/unsubscribe")
def unsubscribe(openid: str) -> Response:
    """The subscriber leaves the account."""
    st = state()
    with st.lock:
        known = st.unsubscribe(openid)
    return json_response({"ok": known}, 200 if known else 404)


@bp.post("/users/<openid>/subscribe")
def subscribe(openid: str) -> Response:
    """The openid (re)subscribes."""
    st = state()
    with st.lock:
        st.subscribe([openid])
    return json_response({"ok": True})


@bp.post("/tokens/expire")
def expire_tokens() -> Response:
    """Make every access token issued so far expired (next use gets 42001)."""
    st = state()
    with st.lock:
        past = time.time() - 1
        for token in st.tokens:
            st.tokens[token] = past
    return json_response({"ok": True})


@bp.get("/orders")
def orders() -> Response:
    """Every Pay order with its state, notify attempts and refunds."""
    st = state()
    with st.lock:
        found = []
        for order in st.orders.values():
            item = {k: v for k, v in order.items() if k != "request"}
            item["notifies"] = [
                {k: v for k, v in n.items() if k != "body"}
                for n in st.notifies
                if n["out_trade_no"] == order["out_trade_no"]
            ]
            item["refunds"] = [r for r in st.refunds.values() if r["out_trade_no"] == order["out_trade_no"]]
            found.append(item)
    return json_response({"orders": found})


@bp.get("/notifies")
def notifies() -> Response:
    """Every notify attempt (body included): ?out_trade_no=."""
    no = request.args.get("out_trade_no")
    st = state()
    with st.lock:
        found = [n for n in st.notifies if no is None or n["out_trade_no"] == no]
    return json_response({"notifies": found})
