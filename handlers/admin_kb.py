"""Admins reload the knowledge base on demand and get the check result, and read what it could not answer."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from bot.admin import require_admin
from bot.deps import Deps
from bot.errors import InvalidInput
from handlers import gaps


def reload_kb(deps: Deps) -> dict[str, object]:
    """Check the KB folder and swap it in when valid; the last good KB keeps serving otherwise."""
    return deps.knowledge.reload().as_dict()


def make_blueprint(deps: Deps) -> Blueprint:
    """`POST /admin/kb/reload` and `GET /admin/kb/gaps?days=30&top=20`."""
    bp = Blueprint("admin_kb", __name__)

    @bp.post("/admin/kb/reload")
    @require_admin(deps.settings.admin_token)
    def reload_route() -> tuple[Response, int]:
        result = reload_kb(deps)
        return jsonify(result), 200 if result["ok"] else 422

    @bp.get("/admin/kb/gaps")
    @require_admin(deps.settings.admin_token)
    def gaps_route() -> Response:
        try:
            days, top = int(request.args.get("days", 30)), int(request.args.get("top", 20))
        except ValueError:
            raise InvalidInput("days and top must be whole numbers") from None
        return jsonify(gaps.report(deps, deps.knowledge.engine.kb, days, top))

    return bp
