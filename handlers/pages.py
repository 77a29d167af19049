"""Article pages: title, price, summary and preview for everyone, the full text for buyers."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from markdown_it import MarkdownIt

from bot.deps import Deps
from handlers import orders, signals, visitor
from handlers.common import price_text

NO_STORE = {"Cache-Control": "private, no-store"}


def markdown() -> MarkdownIt:
    """CommonMark with tables and strikethrough; raw HTML in the KB is shown as text."""
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def not_found() -> tuple[str, int, dict[str, str]]:
    """The 404 page."""
    return render_template("sales/message.html", title="文章不存在", message="这篇文章不存在或已下架。"), 404, NO_STORE


def make_blueprint(deps: Deps) -> Blueprint:
    """`GET /articles/<id>`: chat links set the cookie, WeChat visitors go through OAuth, buyers read it all."""
    bp = Blueprint("pages", __name__, template_folder="templates")
    md = markdown()

    @bp.get("/articles/<item_id>")
    def article(item_id: str) -> Any:
        item = deps.knowledge.engine.kb.items.get(item_id)
        if item is None:
            return not_found()
        linked = visitor.from_link(deps, request)
        if linked is not None:
            return linked
        openid = visitor.current(deps, request)
        if openid is None and visitor.in_wechat(request):
            return visitor.authorize(deps, request)
        owned = openid is not None and orders.owns(deps, openid, item_id)
        if openid is not None:
            signals.record(deps, openid, "opened", item_id, item.tags)
        html = render_template(
            "sales/article.html",
            item=item,
            price=price_text(item.price_fen),
            preview_html=md.render(item.preview_md),
            paid_html=md.render(item.paid_md) if owned else "",
            owned=owned,
            in_wechat=visitor.in_wechat(request),
            stale_link=openid is None and "t" in request.args,   # a chat link whose token expired or was mangled
            order_url=f"/articles/{quote(item_id)}/order",
        )
        return Response(html, headers=NO_STORE, content_type="text/html; charset=utf-8")

    return bp
