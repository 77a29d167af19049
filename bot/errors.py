"""Service errors, their HTTP statuses and CLI exit codes, mapped in one place."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from wechatpy.exceptions import APILimitedException, WeChatClientException
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """Base class: a failure the caller can be told about in one line."""

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message or self.__class__.__doc__ or "error")
        self.message = message or (self.__class__.__doc__ or "error")
        self.details = details


class InvalidInput(ServiceError):
    """The request is malformed or fails validation."""


class Unauthorized(ServiceError):
    """Credentials are missing or wrong."""


class Forbidden(ServiceError):
    """The action is not allowed here."""


class BadSignature(ServiceError):
    """The request signature does not verify."""


class NotFound(ServiceError):
    """No such thing."""


class Conflict(ServiceError):
    """The request conflicts with the current state."""


class Unprocessable(ServiceError):
    """The request is well-formed but its content cannot be accepted."""


class TooLarge(ServiceError):
    """The request body is too large."""


class RateLimited(ServiceError):
    """An upstream rate limit or quota was hit."""


class Upstream(ServiceError):
    """An upstream platform call failed."""


class Unavailable(ServiceError):
    """A dependency (Redis, database) is down."""


HTTP_STATUS: dict[type[ServiceError], int] = {
    InvalidInput: 400,
    Forbidden: 403,
    Unauthorized: 401,
    BadSignature: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Unprocessable: 422,
    RateLimited: 429,
    Upstream: 502,
    Unavailable: 503,
}

EXIT_CODE: dict[type[ServiceError], int] = {
    InvalidInput: 2,
    Unauthorized: 3,
    Forbidden: 3,
    BadSignature: 3,
    NotFound: 4,
    Conflict: 5,
    TooLarge: 2,
    Unprocessable: 2,
    RateLimited: 6,
    Upstream: 7,
    Unavailable: 8,
}


def status_of(error: ServiceError) -> int:
    """HTTP status for a service error (500 only for an unmapped subclass)."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]  # type: ignore[index]
    return 500


def exit_code_of(error: ServiceError) -> int:
    """CLI exit code for a service error."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODE:
            return EXIT_CODE[cls]  # type: ignore[index]
    return 1


def from_wechat(exc: WeChatClientException) -> ServiceError:
    """Translate a wechatpy client exception into a service error."""
    if isinstance(exc, APILimitedException) or exc.errcode in (45009, 45047):
        return RateLimited(f"WeChat API limit: {exc.errcode} {exc.errmsg}", errcode=exc.errcode)
    return Upstream(f"WeChat API error: {exc.errcode} {exc.errmsg}", errcode=exc.errcode)


# Paths whose clients read JSON: their HTTP errors (an unknown route, a wrong method, a body too large, a
# failure) are JSON too, like the service's own errors; pages keep Flask's HTML error pages.
JSON_PATHS = ("/admin/", "/orders/", "/pay/")


def install(app: Flask) -> None:
    """Register one JSON error handler for every ServiceError, and for HTTP errors on JSON paths."""

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):  # type: ignore[no-untyped-def]
        wants_json = request.path.startswith(JSON_PATHS) or request.path.endswith("/order")
        if not wants_json or error.code is None:
            return error
        return jsonify({"error": error.name, "message": error.description}), error.code

    @app.errorhandler(ServiceError)
    def _handle(error: ServiceError):  # type: ignore[no-untyped-def]
        status = status_of(error)
        if status >= 500:
            log.warning("service error %s: %s", type(error).__name__, error.message)
        body: dict[str, object] = {"error": type(error).__name__, "message": error.message}
        body.update({k: v for k, v in error.details.items() if isinstance(v, str | int | float | list)})
        return jsonify(body), status
