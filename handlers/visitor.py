"""Who is reading a page: a chat-link token, the signed cookie, or WeChat OAuth (snsapi_base) inside WeChat."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Request, Response, redirect, render_template, request
from redis import RedisError
from wechatpy.exceptions import WeChatOAuthException
from wechatpy.oauth import WeChatOAuth

from bot.deps import Deps
from bot.errors import Unauthorized
from bot.identity import COOKIE_NAME, COOKIE_TTL
from bot.logs import hash_openid

log = logging.getLogger(__name__)
STATE_COOKIE = "kp_oauth"
CODE_TTL = 300
CALLBACK = "/oauth/wechat"


class OAuthClient(WeChatOAuth):
    """wechatpy's web OAuth pointed at the configured hosts, with a request timeout."""

    def __init__(self, deps: Deps, redirect_uri: str, state: str) -> None:
        super().__init__(deps.settings.app_id, deps.settings.app_secret, redirect_uri, "snsapi_base", state)
        self.API_BASE_URL = deps.settings.api_base_url + "/"
        self.OAUTH_BASE_URL = deps.settings.oauth_base_url + "/connect/"
        self.timeout = deps.settings.api_timeout

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        return super()._request(method, url_or_endpoint, **kwargs)


def in_wechat(req: Request) -> bool:
    """True inside WeChat's built-in browser."""
    return "MicroMessenger" in req.headers.get("User-Agent", "")


def current(deps: Deps, req: Request) -> str | None:
    """The openid of this visitor from the signed cookie, or None."""
    return deps.identity.from_cookie(req.cookies.get(COOKIE_NAME, ""))


def required(deps: Deps, req: Request) -> str:
    """The visitor's openid, or 401."""
    openid = current(deps, req)
    if openid is None:
        raise Unauthorized("open this page from the official account to buy")
    return openid


def remember(deps: Deps, response: Response, openid: str) -> Response:
    """Keep the visitor's identity in the signed cookie."""
    secure = deps.settings.public_base_url.startswith("https://")
    response.set_cookie(COOKIE_NAME, deps.identity.cookie_value(openid), max_age=COOKIE_TTL, httponly=True,
                        samesite="Lax", secure=secure)
    return response


def from_link(deps: Deps, req: Request) -> Response | None:
    """A chat link (`?t=`): keep its openid in the cookie and go to the clean URL; None without a valid token."""
    openid = deps.identity.from_link(req.args.get("t", ""))
    if openid is None:
        return None
    rest = urlencode([(k, v) for k, v in req.args.items(multi=True) if k != "t"])
    return remember(deps, redirect(req.path + (f"?{rest}" if rest else ""), code=302), openid)


def authorize(deps: Deps, req: Request) -> Response:
    """Send a visitor inside WeChat through snsapi_base OAuth, coming back to this page."""
    state = secrets.token_hex(8)
    callback = f"{deps.settings.public_base_url}{CALLBACK}?{urlencode({'next': req.full_path.rstrip('?')})}"
    response = redirect(OAuthClient(deps, callback, state).authorize_url, code=302)
    response.set_cookie(STATE_COOKIE, state, max_age=600, httponly=True, samesite="Lax")
    return response


def _exchange(deps: Deps, code: str) -> str | None:
    """The openid for an OAuth code, exchanged with the platform once even if the callback is repeated."""
    key = f"{deps.prefix}oauth:code:{hashlib.sha256(code.encode()).hexdigest()[:32]}"
    try:
        if deps.redis.set(key, "", nx=True, ex=CODE_TTL):
            openid = OAuthClient(deps, "", "").fetch_access_token(code)["openid"]
            deps.redis.set(key, openid, ex=CODE_TTL)
            return str(openid)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            value = deps.redis.get(key)
            if value:
                return value.decode()
            time.sleep(0.05)
    except (WeChatOAuthException, KeyError) as exc:
        log.warning("oauth code exchange failed: %s", getattr(exc, "errcode", type(exc).__name__))
    except RedisError:
        log.warning("oauth code exchange skipped: Redis unavailable")
    return None


def _failed(title: str) -> tuple[str, int]:
    return render_template("sales/message.html", title=title, message="请从公众号消息中重新打开文章。"), 400


def make_blueprint(deps: Deps) -> Blueprint:
    """`GET /oauth/wechat`: the OAuth callback that sets the cookie and returns to the page."""
    bp = Blueprint("visitor", __name__, template_folder="templates")

    @bp.get(CALLBACK)
    def oauth_callback() -> Response | tuple[str, int]:
        target = request.args.get("next", "")
        expected = request.cookies.get(STATE_COOKIE, "")
        state, code = request.args.get("state", ""), request.args.get("code", "")
        fresh = code and expected and hmac.compare_digest(state.encode(), expected.encode())
        if not (fresh and target.startswith("/articles/")):
            return _failed("链接已失效")
        openid = _exchange(deps, code)
        if openid is None:
            return _failed("登录失败")
        log.info("page visitor identified by oauth: %s", hash_openid(openid))
        return remember(deps, redirect(target, code=302), openid)

    return bp
