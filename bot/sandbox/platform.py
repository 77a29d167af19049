"""Fake /cgi-bin endpoints for credentials, followers, tags and the menu, shaped like the real platform."""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from bot.sandbox.common import body_json, json_response, state, wx_error, wx_ok

bp = Blueprint("sandbox_platform", __name__, url_prefix="/cgi-bin")
OPEN_PATHS = ("/cgi-bin/token", "/cgi-bin/stable_token")
TOKEN_ERRORS = {
    40001: "invalid credential, access_token is invalid or not latest",
    41001: "access_token missing",
    42001: "access_token expired",
}


def require_access_token() -> Response | None:
    """App-wide hook: every /cgi-bin call but the token endpoints needs a valid access_token."""
    if not request.path.startswith("/cgi-bin/") or request.path in OPEN_PATHS:
        return None
    st = state()
    with st.lock:
        code = st.token_error(request.args.get("access_token"))
    return wx_error(code, TOKEN_ERRORS[code]) if code else None


def _credential_error(appid: object, secret: object) -> Response | None:
    config = state().config
    if appid != config.app_id:
        return wx_error(40013, "invalid appid")
    if secret != config.app_secret:
        return wx_error(40125, "invalid appsecret")
    return None


@bp.get("/token")
def token() -> Response:
    """GET /cgi-bin/token: a new access token; the previous one keeps working for 5 minutes."""
    if request.args.get("grant_type") != "client_credential":
        return wx_error(40002, "invalid grant_type")
    error = _credential_error(request.args.get("appid"), request.args.get("secret"))
    if error:
        return error
    st = state()
    with st.lock:
        value = st.issue_token()
    return json_response({"access_token": value, "expires_in": st.config.token_ttl})


@bp.post("/stable_token")
def stable_token() -> Response:
    """POST /cgi-bin/stable_token: the same token while valid; force_refresh issues a new one and revokes the old."""
    data = body_json()
    if not isinstance(data, dict):
        return wx_error(47001, "data format error")
    if data.get("grant_type") != "client_credential":
        return wx_error(40002, "invalid grant_type")
    error = _credential_error(data.get("appid"), data.get("secret"))
    if error:
        return error
    st = state()
    with st.lock:
        value, expires_in = st.issue_stable_token(bool(data.get("force_refresh", False)))
    return json_response({"access_token": value, "expires_in": expires_in})


def _user_info(openid: str) -> dict[str, object] | None:
    user = state().users.get(openid)
    if user is None:
        return None
    if not user.subscribed:
        return {"subscribe": 0, "openid": openid, "tagid_list": []}
    return {
        "subscribe": 1,
        "openid": openid,
        "language": "zh_CN",
        "subscribe_time": user.subscribe_time,
        "remark": user.remark,
        "groupid": 0,
        "tagid_list": list(user.tags),
        "subscribe_scene": "ADD_SCENE_QR_CODE",
        "qr_scene": 0,
        "qr_scene_str": "",
    }


@bp.get("/user/get")
def user_get() -> Response:
    """GET /cgi-bin/user/get: 10,000 subscribers per page after next_openid; an empty page ends with ""."""
    st = state()
    with st.lock:
        page = st.followers_page(request.args.get("next_openid", ""))
        total = st.subscriber_count
    if page is None:
        return wx_error(40003, "invalid openid")
    openids, last = page
    if not openids:
        return json_response({"total": total, "count": 0, "next_openid": ""})
    return json_response(
        {
            "total": total,
            "count": len(openids),
            "data": {"openid": openids},
            "next_openid": last,
        }
    )


@bp.get("/user/info")
def user_info() -> Response:
    """GET /cgi-bin/user/info?openid=: one follower's profile (subscribe 0 for one who left)."""
    st = state()
    with st.lock:
        info = _user_info(request.args.get("openid", ""))
    return json_response(info) if info is not None else wx_error(40003, "invalid openid")


@bp.post("/user/info/batchget")
def user_info_batch() -> Response:
    """POST /cgi-bin/user/info/batchget: up to 100 profiles at once."""
    data = body_json()
    users = data.get("user_list") if isinstance(data, dict) else None
    if not isinstance(users, list) or not users or len(users) > 100:
        return wx_error(40032, "invalid openid list size, it must be between 1 and 100")
    infos = []
    st = state()
    with st.lock:
        for item in users:
            info = _user_info(item.get("openid", "") if isinstance(item, dict) else "")
            if info is None:
                return wx_error(40003, "invalid openid")
            infos.append(info)
    return json_response({"user_info_list": infos})


@bp.get("/tags/get")
def tags_get() -> Response:
    """GET /cgi-bin/tags/get: every tag with its subscriber count."""
    st = state()
    with st.lock:
        counts: dict[int, int] = dict.fromkeys(st.tags, 0)
        for user in st.users.values():
            if user.subscribed:
                for tag in user.tags:
                    counts[tag] = counts.get(tag, 0) + 1
        tags = [{"id": tag, "name": name, "count": counts[tag]} for tag, name in st.tags.items()]
    return json_response({"tags": tags})


@bp.post("/tags/create")
def tags_create() -> Response:
    """POST /cgi-bin/tags/create {tag: {name}}."""
    data = body_json()
    tag = data.get("tag") if isinstance(data, dict) else None
    name = tag.get("name") if isinstance(tag, dict) else None
    if not isinstance(name, str) or not name or len(name) > 30:
        return wx_error(45158, "tag name too long")
    st = state()
    with st.lock:
        if name in st.tag_ids:
            return wx_error(45157, "invalid tag name")
        tag = st.tag_id(name)
    return json_response({"tag": {"id": tag, "name": name}})


@bp.post("/tags/members/batchtagging")
def tags_batchtagging() -> Response:
    """POST /cgi-bin/tags/members/batchtagging {openid_list, tagid}."""
    data = body_json()
    if not isinstance(data, dict) or not isinstance(data.get("openid_list"), list):
        return wx_error(40032, "invalid openid list size")
    st = state()
    with st.lock:
        tag = data.get("tagid")
        if not isinstance(tag, int) or tag not in st.tags:
            return wx_error(45159, "invalid tag id")
        for openid in data["openid_list"]:
            user = st.users.get(openid)
            if user is None:
                return wx_error(40003, "invalid openid")
            if tag not in user.tags:
                user.tags.append(tag)
    return wx_ok()


@bp.post("/user/tag/get")
def user_tag_get() -> Response:
    """POST /cgi-bin/user/tag/get {tagid, next_openid}: subscribers with a tag, 10,000 per page."""
    data = body_json()
    if not isinstance(data, dict):
        return wx_error(47001, "data format error")
    st = state()
    with st.lock:
        tag = data.get("tagid")
        if not isinstance(tag, int) or tag not in st.tags:
            return wx_error(45159, "invalid tag id")
        start = st.follow_pos.get(str(data.get("next_openid") or ""), -1) + 1
        page = []
        for openid in st.follow_order[start:]:
            user = st.users[openid]
            if user.subscribed and tag in user.tags:
                page.append(openid)
                if len(page) == 10_000:
                    break
    if not page:
        return json_response({"count": 0, "next_openid": ""})
    return json_response({"count": len(page), "data": {"openid": page}, "next_openid": page[-1]})


@bp.post("/menu/create")
def menu_create() -> Response:
    """POST /cgi-bin/menu/create: store the menu (1-3 top-level buttons)."""
    data = body_json()
    buttons = data.get("button") if isinstance(data, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return wx_error(40016, "invalid button size")
    st = state()
    with st.lock:
        st.menu = {"button": buttons, "created": time.time()}
    return wx_ok()


@bp.get("/menu/get")
def menu_get() -> Response:
    """GET /cgi-bin/menu/get: the stored menu, or 46003 when there is none."""
    st = state()
    with st.lock:
        menu = st.menu
    if menu is None:
        return wx_error(46003, "menu no exist")
    return json_response({"menu": {"button": menu["button"]}})


@bp.get("/get_current_selfmenu_info")
def selfmenu_info() -> Response:
    """GET /cgi-bin/get_current_selfmenu_info: the menu as the account currently shows it."""
    st = state()
    with st.lock:
        menu = st.menu
    if menu is None:
        return json_response({"is_menu_open": 0})
    return json_response({"is_menu_open": 1, "selfmenu_info": {"button": menu["button"]}})


@bp.get("/menu/delete")
def menu_delete() -> Response:
    """GET /cgi-bin/menu/delete."""
    st = state()
    with st.lock:
        st.menu = None
    return wx_ok()
