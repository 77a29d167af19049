"""A thin HTTP client for the sandbox's control endpoints, for tests and the terminal chat."""

from __future__ import annotations

import time
from typing import Any

import requests


class SandboxError(RuntimeError):
    """A control request the sandbox refused."""


class SandboxClient:
    """Reads what the sandbox received and delivered, and steers it (faults, users, payments, reset)."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            raise SandboxError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    # what happened ----------------------------------------------------------
    def calls(
        self,
        path: str | None = None,
        since: float | None = None,
        after: int | None = None,
    ) -> list[dict[str, Any]]:
        """API calls received, oldest first; `path` may be a glob such as /cgi-bin/*."""
        params = {k: v for k, v in (("path", path), ("since", since), ("after", after)) if v is not None}
        return self._call("GET", "/sandbox/calls", params=params)["calls"]

    def calls_summary(self) -> dict[str, dict[str, int]]:
        """Counts of calls per path and errcode (or "dropped")."""
        return self._call("GET", "/sandbox/calls/summary")["paths"]

    def messages(
        self,
        openid: str | None = None,
        kind: str | None = None,
        template_id: str | None = None,
        after: int | None = None,
    ) -> list[dict[str, Any]]:
        """Messages delivered (to one openid, or to everyone), oldest first; `after` is a message `seq`."""
        pairs = (("openid", openid), ("kind", kind), ("template_id", template_id), ("after", after))
        params = {k: v for k, v in pairs if v is not None}
        return self._call("GET", "/sandbox/messages", params=params)["messages"]

    def wait_for_messages(
        self,
        openid: str,
        count: int = 1,
        timeout: float = 10.0,
        kind: str | None = None,
    ) -> list[dict[str, Any]]:
        """Poll until `openid` has at least `count` messages; returns them (raises TimeoutError otherwise)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(openid, kind=kind)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"{openid} has {len(found)} messages, expected {count}")
            time.sleep(0.05)

    def summary(self, template_id: str | None = None, counts: bool = True) -> dict[str, Any]:
        """Delivery counts per openid for a template (or totals per template and kind)."""
        params: dict[str, str] = {"counts": "1" if counts else "0"}
        if template_id:
            params["template_id"] = template_id
        return self._call("GET", "/sandbox/deliveries/summary", params=params)

    # faults -----------------------------------------------------------------
    def fault(
        self,
        path: str,
        errcode: int | None = None,
        latency_ms: float = 0,
        drop: bool = False,
        rate: float = 1.0,
        count: int | None = None,
        errmsg: str | None = None,
        status: int | None = None,
    ) -> dict[str, Any]:
        """Inject a fault on `path` (exact or glob); returns it with its id."""
        body: dict[str, Any] = {
            "path": path,
            "latency_ms": latency_ms,
            "drop": drop,
            "rate": rate,
            "count": count,
        }
        for key, value in (
            ("errcode", errcode),
            ("errmsg", errmsg),
            ("status", status),
        ):
            if value is not None:
                body[key] = value
        return self._call("POST", "/sandbox/faults", json=body)

    def faults(self) -> list[dict[str, Any]]:
        """Faults in force, with how often each fired."""
        return self._call("GET", "/sandbox/faults")["faults"]

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._call("DELETE", "/sandbox/faults")

    def reset(self) -> None:
        """Forget everything (users, tokens, messages, orders, calls, faults)."""
        self._call("POST", "/sandbox/reset")

    # users ------------------------------------------------------------------
    def seed_users(
        self,
        n: int | None = None,
        openids: list[str] | None = None,
        tags: list[str] | None = None,
        prefix: str | None = None,
    ) -> dict[str, Any]:
        """Subscribe `openids` and/or `n` generated users, all with `tags`; returns the tag ids and a sample."""
        body: dict[str, Any] = {
            "count": n or 0,
            "openids": openids or [],
            "tags": tags or [],
        }
        if prefix:
            body["prefix"] = prefix
        return self._call("POST", "/sandbox/users", json=body)

    def subscribe(self, openid: str) -> None:
        """The openid (re)subscribes."""
        self._call("POST", f"/sandbox/users/{openid}/subscribe")

    def unsubscribe(self, openid: str) -> None:
        """The subscriber leaves."""
        self._call("POST", f"/sandbox/users/{openid}/unsubscribe")

    def expire_tokens(self) -> None:
        """Make every access token issued so far expired."""
        self._call("POST", "/sandbox/tokens/expire")

    # pay --------------------------------------------------------------------
    def pay(self, out_trade_no: str, fault: str | None = None, **options: Any) -> dict[str, Any]:
        """Pay an order and fire its notify; options may carry openid. Faults: duplicate (count=3 copies at once),
        delay (delay=2 s), tamper (body changed after signing), wrong_amount (amount=total+1, signed), late (pay
        a closed order), stale (signed age=600 s ago), forged (signed with a key that is not the platform's)."""
        body: dict[str, Any] = dict(options)
        if fault:
            body["fault"] = fault
        return self._call("POST", f"/sandbox/pay/{out_trade_no}", json=body)

    def orders(self) -> list[dict[str, Any]]:
        """Every Pay order with its notify attempts."""
        return self._call("GET", "/sandbox/orders")["orders"]

    def order(self, out_trade_no: str) -> dict[str, Any] | None:
        """One order, or None."""
        return next((o for o in self.orders() if o["out_trade_no"] == out_trade_no), None)

    def notifies(self, out_trade_no: str | None = None) -> list[dict[str, Any]]:
        """Notify attempts (with bodies), oldest first."""
        params = {"out_trade_no": out_trade_no} if out_trade_no else {}
        return self._call("GET", "/sandbox/notifies", params=params)["notifies"]
