"""Subscriber identity on web pages: short-lived signed link tokens and the signed cookie."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

LINK_TTL = 7 * 24 * 3600
COOKIE_TTL = 30 * 24 * 3600
COOKIE_NAME = "kp_id"


class Identity:
    """Signs and reads openids for chat links (`?t=`) and the page cookie, with separate salts."""

    def __init__(self, secret_key: str) -> None:
        self._links = URLSafeTimedSerializer(secret_key, salt="chat-link")
        self._cookies = URLSafeTimedSerializer(secret_key, salt="page-cookie")

    def link_token(self, openid: str) -> str:
        """A token for a link sent in chat; it expires after LINK_TTL."""
        return self._links.dumps(openid)

    def from_link(self, token: str) -> str | None:
        """The openid in a link token, or None when forged or expired."""
        return _load(self._links, token, LINK_TTL)

    def cookie_value(self, openid: str) -> str:
        """The signed cookie value for an identified page visitor."""
        return self._cookies.dumps(openid)

    def from_cookie(self, value: str) -> str | None:
        """The openid in the cookie, or None."""
        return _load(self._cookies, value, COOKIE_TTL)


def _load(serializer: URLSafeTimedSerializer, token: str, max_age: int) -> str | None:
    if not token or len(token) > 512:
        return None
    try:
        value = serializer.loads(token, max_age=max_age)
    except BadSignature:
        return None
    return value if isinstance(value, str) and value else None
