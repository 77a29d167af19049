"""Fake web OAuth (snsapi_base/snsapi_userinfo): authorize redirect with a one-time code, code exchange."""

from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, redirect, request

from bot.sandbox.common import json_response, state, wx_error
from bot.sandbox.state import OAuthCode

bp = Blueprint("sandbox_oauth", __name__)
OPENID_COOKIE = "sandbox_openid"
SCOPES = ("snsapi_base", "snsapi_userinfo")


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(extra.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


@bp.get("/connect/oauth2/authorize")
def authorize() -> Response:
    """Redirect to redirect_uri with code and state; the login openid comes from ?openid=, a cookie or the default."""
    st = state()
    args = request.args
    redirect_uri = args.get("redirect_uri", "")
    if args.get("appid") != st.config.app_id:
        return Response("appid 参数错误", status=400, content_type="text/plain; charset=utf-8")
    if args.get("response_type") != "code" or args.get("scope") not in SCOPES:
        return Response(
            "scope 或 response_type 参数错误",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        return Response(
            "redirect_uri 参数错误",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    openid = args.get("openid") or request.cookies.get(OPENID_COOKIE) or st.config.default_openid
    code = secrets.token_hex(16)
    with st.lock:
        st.oauth_codes[code] = OAuthCode(openid, args["scope"], time.time() + st.config.oauth_code_ttl)
    response = redirect(
        _with_query(redirect_uri, {"code": code, "state": args.get("state", "")}),
        code=302,
    )
    response.set_cookie(OPENID_COOKIE, openid, max_age=30 * 86400, httponly=True, samesite="Lax")
    return response


@bp.get("/sns/oauth2/access_token")
def access_token() -> Response:
    """Exchange a code (once, within 5 minutes) for the openid and a web access token."""
    st = state()
    args = request.args
    if args.get("appid") != st.config.app_id:
        return wx_error(40013, "invalid appid")
    if args.get("secret") != st.config.app_secret:
        return wx_error(40125, "invalid appsecret")
    if args.get("grant_type") != "authorization_code":
        return wx_error(40002, "invalid grant_type")
    with st.lock:
        found = st.oauth_codes.pop(args.get("code", ""), None)
        if found is None or found.expires_at < time.time():
            return wx_error(40029, "invalid code")
        token = secrets.token_urlsafe(48)
        st.sns_tokens[token] = found.openid
    return json_response(
        {
            "access_token": token,
            "expires_in": 7200,
            "refresh_token": secrets.token_urlsafe(48),
            "openid": found.openid,
            "scope": found.scope,
        }
    )


@bp.get("/sns/auth")
def check_token() -> Response:
    """GET /sns/auth: is a web access token valid for this openid."""
    st = state()
    with st.lock:
        owner = st.sns_tokens.get(request.args.get("access_token", ""))
    if owner is None or owner != request.args.get("openid"):
        return wx_error(40001, "invalid credential, access_token is invalid or not latest")
    return wx_error(0, "ok")
