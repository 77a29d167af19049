"""Admins reload the knowledge base on demand and get the check result."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from bot.admin import require_admin
from bot.deps import Deps


def reload_kb(deps: Deps) -> dict[str, object]:
    """Check the KB folder and swap it in when valid; the last good KB keeps serving otherwise."""
    return deps.knowledge.reload().as_dict()


def make_blueprint(deps: Deps) -> Blueprint:
    """`POST /admin/kb/reload`."""
    bp = Blueprint("admin_kb", __name__)

    @bp.post("/admin/kb/reload")
    @require_admin(deps.settings.admin_token)
    def reload_route() -> tuple[Response, int]:
        result = reload_kb(deps)
        return jsonify(result), 200 if result["ok"] else 422

    return bp
