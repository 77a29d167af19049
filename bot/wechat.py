"""The one WeChat API client: shared access token in Redis, honouring WECHAT_API_BASE_URL."""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

import redis
import requests
from wechatpy import WeChatClient as _WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from bot.config import REAL_API_BASE_URL
from bot.wechat_api import MassMessageAPI, TemplateMessageAPI

log = logging.getLogger(__name__)
# credentials a request URL carries, never to be shown in an error message or a log line
SECRET_PARAMS = re.compile(r"((?:access_token|secret|appsecret|code)=)[^&\s'\"]+")
TOKEN_MARGIN = 300
LOCAL_TTL = 30.0


class FallbackStorage(SessionStorage):
    """Redis token storage that degrades to process memory while Redis is down."""

    def __init__(self, redis_client: redis.Redis, prefix: str) -> None:
        self.primary = RedisStorage(redis_client, prefix=prefix)
        self.memory = MemoryStorage()
        self.redis = redis_client
        self.prefix = prefix

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self.primary.get(key, default)
        except redis.RedisError:
            return self.memory.get(key, default)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        self.memory.set(key, value, ttl)
        try:
            self.primary.set(key, value, ttl)
        except redis.RedisError:
            pass

    def delete(self, key: str) -> None:
        self.memory.delete(key)
        try:
            self.primary.delete(key)
        except redis.RedisError:
            pass


class WeChatClient(_WeChatClient):
    """wechatpy's client with a Redis-shared token from `stable_token`, refreshed by one process at a time."""

    template = TemplateMessageAPI()
    mass = MassMessageAPI()

    def __init__(
        self,
        appid: str,
        secret: str,
        redis_client: redis.Redis,
        prefix: str,
        api_base_url: str = REAL_API_BASE_URL,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(appid, secret, session=FallbackStorage(redis_client, prefix + "wechat"), timeout=timeout)
        self.base_url = api_base_url.rstrip("/")
        self.API_BASE_URL = self.base_url + "/cgi-bin/"
        self._redis = redis_client
        self._lock_key = f"{prefix}wechat:{appid}:token-lock"
        self._last_token: str | None = None
        self._depth = threading.local()
        self._cached: tuple[str, float] | None = None

    def _rebase(self, url: str) -> str:
        if url.startswith(REAL_API_BASE_URL):
            return self.base_url + url[len(REAL_API_BASE_URL):]
        return url

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        if "api_base_url" in kwargs:
            kwargs["api_base_url"] = self._rebase(kwargs["api_base_url"])
        url_or_endpoint = self._rebase(url_or_endpoint)
        params = kwargs.setdefault("params", {})
        if isinstance(params, dict) and "access_token" not in params:
            params["access_token"] = self.access_token
            self._last_token = params["access_token"]
        self._depth.value = getattr(self._depth, "value", 0) + 1
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        except requests.RequestException as exc:
            reason = SECRET_PARAMS.sub(r"\1***", str(exc))
            raise WeChatClientException(errcode=None, errmsg=f"network error: {reason}", client=self) from exc
        finally:
            self._depth.value -= 1

    @property
    def access_token(self) -> str:
        """The shared token (kept in process for a few seconds); fetched once across processes when absent."""
        cached = self._cached
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        token = str(self.session.get(self.access_token_key) or self._refresh(force=False))
        self._cached = (token, time.monotonic() + LOCAL_TTL)
        return token

    def fetch_access_token(self) -> dict[str, Any]:
        """Called by wechatpy after 40001/42001: force a new token unless another process already did; retry once."""
        if getattr(self._depth, "value", 0) > 1:
            raise WeChatClientException(40001, "access token rejected again after a refresh", client=self)
        self._cached = None
        current = self.session.get(self.access_token_key)
        if current and current != self._last_token:
            return {"access_token": current}
        return {"access_token": self._refresh(force=True, stale=self._last_token)}

    def _refresh(self, force: bool, stale: str | None = None) -> str:
        deadline = time.monotonic() + 10
        while True:
            try:
                locked = bool(self._redis.set(self._lock_key, "1", nx=True, ex=15))
            except redis.RedisError:
                locked = True
            if locked:
                try:
                    current = self.session.get(self.access_token_key)
                    if current and current != stale:
                        return str(current)
                    return self._stable_token(force)
                finally:
                    try:
                        self._redis.delete(self._lock_key)
                    except redis.RedisError:
                        pass
            time.sleep(0.05)
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                return str(current)
            if time.monotonic() > deadline:
                return self._stable_token(force)

    def _stable_token(self, force: bool) -> str:
        url = self.base_url + "/cgi-bin/stable_token"
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                "force_refresh": force}
        try:
            response = self._http.post(url, json=body, timeout=self.timeout)
            response.raise_for_status()
            result = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeChatClientException(errcode=None, errmsg=f"stable_token failed: {exc}", client=self) from exc
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg", ""), client=self)
        token = str(result["access_token"])
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, token, max(60, expires_in - TOKEN_MARGIN))
        self.expires_at = int(time.time()) + expires_in
        log.info("access token refreshed force=%s", force)
        return token
