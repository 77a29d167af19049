"""Creators' broadcasts: create, preview, start, cancel and follow progress (admin API and CLI share these)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request
from redis import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from wechatpy.exceptions import WeChatClientException

from bot.admin import require_admin
from bot.deps import Deps
from bot.errors import Conflict, InvalidInput, NotFound, Unprocessable
from bot.logs import hash_openid
from bot.models import Broadcast, Delivery, utcnow
from handlers import broadcast_flow, broadcast_mass
from handlers.broadcast_audience import is_empty
from handlers.broadcast_spec import parse

log = logging.getLogger(__name__)
PREVIEW_LIMIT = 20
MAX_ID = 2**63 - 1      # the largest id a database integer column holds
COUNTED = ("sent", "failed", "skipped", "unknown", "pending", "cancelled")


def create(deps: Deps, body: object) -> dict[str, object]:
    """Store a checked broadcast as a draft (or scheduled, with schedule_at); 422 for a bad body or empty audience."""
    spec = parse(deps, body)
    if is_empty(deps, spec.audience):
        key, value = next(iter(spec.audience.items()))
        raise Unprocessable(f"audience is empty: nobody matches {key}={value!r} among known subscribers "
                            "(run `python -m bot users sync` to load them)")
    with deps.sessions.begin() as session:
        broadcast = Broadcast(name=spec.name, kind=spec.kind, template_id=spec.template_id, data=spec.data,
                              url=spec.url, article_id=spec.article_id, audience=spec.audience, state="draft",
                              schedule_at=spec.schedule_at, total=0)
        session.add(broadcast)
        session.flush()
        broadcast_id = broadcast.id
    log.info("broadcast %s created kind=%s audience=%s", broadcast_id, spec.kind, next(iter(spec.audience)))
    if spec.schedule_at is not None:
        start(deps, broadcast_id)
    return {"id": broadcast_id, "state": status(deps, broadcast_id)["state"]}


def load(deps: Deps, broadcast_id: int) -> Broadcast:
    """The broadcast, or NotFound."""
    with deps.sessions() as session:
        return _get(session, broadcast_id)


def _get(session: Any, broadcast_id: int) -> Broadcast:
    """The broadcast in this session, or NotFound (also for an id no database column could hold)."""
    broadcast = session.get(Broadcast, broadcast_id) if 0 < broadcast_id <= MAX_ID else None
    if broadcast is None:
        raise NotFound(f"no broadcast {broadcast_id}")
    return broadcast


def preview(deps: Deps, broadcast_id: int, openids: object) -> dict[str, object]:
    """Send the message to test subscribers only (no dedupe key: every preview arrives)."""
    if not isinstance(openids, list) or not openids or len(openids) > PREVIEW_LIMIT or not all(
        isinstance(o, str) and 0 < len(o) <= 64 for o in openids
    ):
        raise Unprocessable(f"openids: a list of 1 to {PREVIEW_LIMIT} test subscribers' openids")
    broadcast = load(deps, broadcast_id)
    results: dict[str, object] = {}
    for openid in dict.fromkeys(openids):
        try:
            if broadcast.kind == "mass":
                broadcast_mass.preview(deps, broadcast, openid)
                results[openid] = {"state": "sent"}
            else:
                sent = deps.wechat.template.send(openid, broadcast.template_id or "", broadcast.data, broadcast.url)
                results[openid] = {"state": "sent", "msgid": str(sent.get("msgid"))}
        except WeChatClientException as exc:
            results[openid] = {"state": "failed", "errcode": exc.errcode, "errmsg": str(exc.errmsg)}
        log.info("broadcast %s preview %s %s", broadcast_id, hash_openid(openid), results[openid]["state"])
    return {"id": broadcast_id, "results": results}


def start(deps: Deps, broadcast_id: int) -> dict[str, object]:
    """Start now, or at schedule_at when that is still ahead; starting again is harmless."""
    broadcast = load(deps, broadcast_id)
    if broadcast.state in ("done", "cancelled", "failed"):
        raise Conflict(f"broadcast {broadcast_id} is {broadcast.state}")
    if broadcast.state == "draft":
        if broadcast.schedule_at is not None and broadcast.schedule_at > utcnow():
            if broadcast_flow.move(deps, broadcast_id, ("draft",), "scheduled"):
                broadcast_flow.schedule_expand(deps, broadcast_id, broadcast.schedule_at)
        elif broadcast_flow.move(deps, broadcast_id, ("draft",), "starting"):
            broadcast_flow.enqueue_expand(deps, broadcast_id)
        log.info("broadcast %s started", broadcast_id)
    return status(deps, broadcast_id)


def cancel(deps: Deps, broadcast_id: int) -> dict[str, object]:
    """Stop sending; recipients not reached yet are counted as cancelled."""
    broadcast = load(deps, broadcast_id)
    if not broadcast_flow.cancel(deps, broadcast_id) and broadcast.state != "cancelled":
        raise Conflict(f"broadcast {broadcast_id} is already {broadcast.state}")
    log.info("broadcast %s cancelled", broadcast_id)
    return status(deps, broadcast_id)


def status(deps: Deps, broadcast_id: int) -> dict[str, object]:
    """State and counts: total, sent, failed, skipped, unknown, pending, cancelled, delivered (platform-confirmed)."""
    with deps.sessions() as session:
        broadcast = _get(session, broadcast_id)
        counts = dict.fromkeys(COUNTED, 0)
        counts.update(session.execute(
            select(Delivery.state, func.count()).where(Delivery.broadcast_id == broadcast_id).group_by(Delivery.state)
        ).all())
        delivered = session.scalar(
            select(func.count()).where(Delivery.broadcast_id == broadcast_id, Delivery.status == "success")
        )
    result: dict[str, object] = {
        "id": broadcast.id, "name": broadcast.name, "kind": broadcast.kind, "state": broadcast.state,
        "note": broadcast.note, "total": broadcast.total, **counts, "delivered": delivered or 0,
        "audience": broadcast.audience, "template_id": broadcast.template_id, "url": broadcast.url,
        "created_at": _iso(broadcast.created_at), "schedule_at": _iso(broadcast.schedule_at),
        "started_at": _iso(broadcast.started_at), "finished_at": _iso(broadcast.finished_at),
        "paused_until": _iso(broadcast.paused_until),
    }
    if broadcast.kind == "mass":
        report = broadcast.report or {}
        result.update(msg_id=broadcast.msg_id, report=report, total=_int(report.get("TotalCount")),
                      sent=_int(report.get("SentCount")), failed=_int(report.get("ErrorCount")))
    return result


def listing(deps: Deps, limit: int = 50) -> list[dict[str, object]]:
    """The newest broadcasts with their states."""
    with deps.sessions() as session:
        rows = session.execute(
            select(Broadcast.id, Broadcast.name, Broadcast.kind, Broadcast.state, Broadcast.total, Broadcast.created_at)
            .order_by(Broadcast.id.desc()).limit(limit)
        ).all()
    return [{"id": i, "name": n, "kind": k, "state": s, "total": t, "created_at": _iso(c)} for i, n, k, s, t, c in rows]


def job_finished(deps: Deps, fields: dict[str, Any]) -> None:
    """TEMPLATESENDJOBFINISH updates one delivery's final status; MASSSENDJOBFINISH a mass broadcast's report."""
    msgid, event = str(fields.get("MsgID") or ""), str(fields.get("type") or fields.get("Event") or "").upper()
    if not msgid:
        return
    try:
        if event.startswith("MASSSENDJOBFINISH"):
            broadcast_mass.record_report(deps, msgid, fields)
        else:
            broadcast_flow.record_finished(deps, msgid, str(fields.get("Status") or ""))
    except (RedisError, SQLAlchemyError):
        log.warning("%s msgid=%s not recorded: storage unavailable", event, msgid)


def _iso(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def json_body() -> Any:
    """The request's JSON document, None when it is not JSON; 400 when it nests too deep to read."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise InvalidInput("the JSON body nests too deeply") from None


def make_blueprint(deps: Deps) -> Blueprint:
    """`/admin/broadcasts`: create, list, status, preview, start, cancel."""
    bp = Blueprint("admin_broadcasts", __name__)
    admin = require_admin(deps.settings.admin_token)

    @bp.post("/admin/broadcasts")
    @admin
    def create_route() -> tuple[Response, int]:
        return jsonify(create(deps, json_body())), 201

    @bp.get("/admin/broadcasts")
    @admin
    def list_route() -> Response:
        return jsonify({"broadcasts": listing(deps)})

    @bp.get("/admin/broadcasts/<int:broadcast_id>")
    @admin
    def status_route(broadcast_id: int) -> Response:
        return jsonify(status(deps, broadcast_id))

    @bp.post("/admin/broadcasts/<int:broadcast_id>/preview")
    @admin
    def preview_route(broadcast_id: int) -> Response:
        body = json_body()
        return jsonify(preview(deps, broadcast_id, body.get("openids") if isinstance(body, dict) else None))

    @bp.post("/admin/broadcasts/<int:broadcast_id>/start")
    @admin
    def start_route(broadcast_id: int) -> Response:
        return jsonify(start(deps, broadcast_id))

    @bp.post("/admin/broadcasts/<int:broadcast_id>/cancel")
    @admin
    def cancel_route(broadcast_id: int) -> Response:
        return jsonify(cancel(deps, broadcast_id))

    return bp
