"""The web OAuth code flow against the sandbox, including wechatpy's WeChatOAuth."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from wechatpy.oauth import WeChatOAuth

from bot.sandbox import DEFAULT_OPENID, SandboxServer

REDIRECT = "http://service.test/articles/py-intro?x=1"


def _oauth(sandbox: SandboxServer) -> WeChatOAuth:
    client = WeChatOAuth(sandbox.config.app_id, sandbox.config.app_secret, REDIRECT, scope="snsapi_base", state="st1")
    client.API_BASE_URL = f"{sandbox.url}/"
    client.OAUTH_BASE_URL = f"{sandbox.url}/connect/"
    return client


def _code(location: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(location)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://service.test/articles/py-intro"
    return query["code"][0], query


def test_code_flow_with_wechatpy(sandbox: SandboxServer) -> None:
    oauth = _oauth(sandbox)
    browser = requests.Session()
    as_buyer = oauth.authorize_url.replace("#wechat_redirect", "&openid=oBuyer0000000000000000000001")
    response = browser.get(as_buyer, allow_redirects=False)
    assert response.status_code == 302
    code, query = _code(response.headers["Location"])
    assert query["state"] == ["st1"] and query["x"] == ["1"]
    token = oauth.fetch_access_token(code)
    assert token["openid"] == "oBuyer0000000000000000000001" and token["scope"] == "snsapi_base"
    assert {"access_token", "expires_in", "refresh_token"} <= token.keys()
    again = browser.get(oauth.authorize_url, allow_redirects=False)
    second, _ = _code(again.headers["Location"])
    assert _oauth(sandbox).fetch_access_token(second)["openid"] == "oBuyer0000000000000000000001"


def test_default_openid_and_one_time_code(sandbox: SandboxServer) -> None:
    oauth = _oauth(sandbox)
    response = requests.get(oauth.authorize_url, allow_redirects=False, timeout=5)
    code, _ = _code(response.headers["Location"])
    params = {
        "appid": sandbox.config.app_id,
        "secret": sandbox.config.app_secret,
        "code": code,
        "grant_type": "authorization_code",
    }
    url = f"{sandbox.url}/sns/oauth2/access_token"
    assert requests.get(url, params=params, timeout=5).json()["openid"] == DEFAULT_OPENID
    assert requests.get(url, params=params, timeout=5).json()["errcode"] == 40029
    assert requests.get(url, params={**params, "secret": "x"}, timeout=5).json()["errcode"] == 40125


def test_expired_code(sandbox: SandboxServer) -> None:
    response = requests.get(_oauth(sandbox).authorize_url, allow_redirects=False, timeout=5)
    code, _ = _code(response.headers["Location"])
    with sandbox.state.lock:
        sandbox.state.oauth_codes[code].expires_at -= 301
    params = {
        "appid": sandbox.config.app_id,
        "secret": sandbox.config.app_secret,
        "code": code,
        "grant_type": "authorization_code",
    }
    result = requests.get(f"{sandbox.url}/sns/oauth2/access_token", params=params, timeout=5).json()
    assert result["errcode"] == 40029


def test_authorize_rejects_wrong_appid(sandbox: SandboxServer) -> None:
    params = {"appid": "wxother", "redirect_uri": REDIRECT, "response_type": "code", "scope": "snsapi_base"}
    response = requests.get(f"{sandbox.url}/connect/oauth2/authorize", params=params, allow_redirects=False)
    assert response.status_code == 400
