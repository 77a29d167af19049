"""Bearer-token protection for `/admin/*` (closed when ADMIN_TOKEN is unset)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request

from bot.errors import Forbidden, Unauthorized


class AdminClosed(Forbidden):
    """The admin API is disabled: set ADMIN_TOKEN to enable it."""


def require_admin(admin_token: str | None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: 401 without the right bearer token; 403 when no token is configured."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not admin_token:
                raise AdminClosed()
            header = request.headers.get("Authorization", "")
            scheme, _, given = header.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), admin_token.encode()):
                raise Unauthorized("missing or wrong bearer token")
            return view(*args, **kwargs)

        return wrapped

    return decorate
