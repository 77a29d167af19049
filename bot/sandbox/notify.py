"""Pay notifies: the TRANSACTION.SUCCESS envelope, encrypted and signed like WeChat Pay, sent and retried."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from copy import deepcopy
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.sandbox.signing import encrypt_resource, load_private_key, wechatpay_headers
from bot.sandbox.state import State

log = logging.getLogger(__name__)
CHINA = timezone(timedelta(hours=8))
PAY_FAULTS = ("duplicate", "delay", "tamper", "wrong_amount", "late", "stale", "forged")
STALE_SECONDS = 600


def rfc3339(ts: float | None = None) -> str:
    """A time as WeChat Pay writes it: 2025-01-01T12:00:00+08:00."""
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, CHINA)
    return moment.isoformat(timespec="seconds")


def transaction_of(order: dict[str, Any]) -> dict[str, Any]:
    """The transaction object of an order, as the query API and the notify resource carry it."""
    data: dict[str, Any] = {
        "appid": order["appid"],
        "mchid": order["mchid"],
        "out_trade_no": order["out_trade_no"],
        "trade_type": order["trade_type"],
        "trade_state": order["trade_state"],
        "trade_state_desc": order["trade_state_desc"],
        "attach": order.get("attach", ""),
        "amount": {
            "total": order["amount"]["total"],
            "currency": order["amount"].get("currency", "CNY"),
        },
    }
    if order.get("payer"):
        data["payer"] = dict(order["payer"])
    if order["trade_state"] == "SUCCESS":
        data["transaction_id"] = order["transaction_id"]
        data["bank_type"] = "OTHERS"
        data["success_time"] = order["success_time"]
        data["amount"].update(payer_total=order["amount"]["total"], payer_currency="CNY")
    return data


class Notifier:
    """Sends an order's notify to its notify_url in background threads, retrying on failure."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.config = state.config
        self.key = load_private_key(self.config.platform_private_key_pem)
        self._forged_key: rsa.RSAPrivateKey | None = None

    def _forger(self) -> rsa.RSAPrivateKey:
        """A key that is not the platform's, to sign forged notifies."""
        if self._forged_key is None:
            self._forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._forged_key

    def envelope(self, transaction: dict[str, Any], notify_id: str) -> str:
        """The JSON body of one notify with `transaction` encrypted under the APIv3 key."""
        resource = encrypt_resource(self.config.apiv3_key, transaction, "transaction")
        resource["original_type"] = "transaction"
        body = {
            "id": notify_id,
            "create_time": rfc3339(),
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": resource,
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    def send(
        self,
        order: dict[str, Any],
        fault: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> str:
        """Start delivering the notify of a paid order (a snapshot); returns the notify id."""
        opts = options or {}
        notify_id = str(uuid.uuid4())
        transaction = transaction_of(order)
        copies = max(int(opts.get("count", 3)), 1) if fault == "duplicate" else 1
        delay = float(opts.get("delay", 2.0)) if fault == "delay" else 0.0
        generation = self.state.generation
        start = threading.Barrier(copies) if copies > 1 else None
        for copy in range(copies):
            threading.Thread(
                target=self._deliver,
                args=(
                    order["notify_url"],
                    transaction,
                    notify_id,
                    fault,
                    opts,
                    copy,
                    delay,
                    generation,
                    start,
                ),
                name=f"sandbox-notify-{order['out_trade_no']}-{copy}",
                daemon=True,
            ).start()
        return notify_id

    def _body_and_headers(
        self,
        transaction: dict[str, Any],
        notify_id: str,
        fault: str | None,
        opts: dict[str, Any],
    ) -> tuple[str, dict[str, str]]:
        if fault == "wrong_amount":
            transaction = deepcopy(transaction)
            wrong = int(opts.get("amount", transaction["amount"]["total"] + 1))
            transaction["amount"].update(total=wrong, payer_total=wrong)
        body = self.envelope(transaction, notify_id)
        key = self._forger() if fault == "forged" else self.key
        at = time.time() - float(opts.get("age", STALE_SECONDS)) if fault == "stale" else None
        headers = wechatpay_headers(key, self.config.platform_public_key_id, body, at)
        if fault == "tamper":
            forged = deepcopy(transaction)
            cheap = int(opts.get("amount", 1))
            forged["amount"].update(total=cheap, payer_total=cheap)
            body = self.envelope(forged, notify_id)
        headers["Content-Type"] = "application/json"
        headers["User-Agent"] = "Mozilla/4.0"
        return body, headers

    def _deliver(
        self,
        url: str,
        transaction: dict[str, Any],
        notify_id: str,
        fault: str | None,
        opts: dict[str, Any],
        copy: int,
        delay: float,
        generation: int,
        start: threading.Barrier | None,
    ) -> None:
        if start is not None:
            try:
                start.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
        if delay:
            time.sleep(delay)
        waits = (0.0, *self.config.notify_retry_delays)
        for attempt, wait in enumerate(waits, start=1):
            if wait:
                time.sleep(wait)
            if self.state.generation != generation:
                return
            body, headers = self._body_and_headers(transaction, notify_id, fault, opts)
            entry: dict[str, Any] = {
                "id": notify_id,
                "out_trade_no": transaction["out_trade_no"],
                "url": url,
                "attempt": attempt,
                "copy": copy,
                "fault": fault,
                "time": time.time(),
                "status": None,
                "error": None,
                "body": body,
            }
            try:
                response = requests.post(
                    url,
                    data=body.encode("utf-8"),
                    headers=headers,
                    timeout=self.config.notify_timeout,
                )
                entry["status"] = response.status_code
                entry["response"] = response.text[:500]
                ok = 200 <= response.status_code < 300
            except requests.RequestException as exc:
                entry["error"] = f"{type(exc).__name__}: {exc}"
                ok = False
            entry["delivered"] = ok
            with self.state.lock:
                if self.state.generation != generation:
                    return
                self.state.notifies.append(entry)
            if ok:
                return
            log.info("sandbox notify %s attempt %d to %s failed", notify_id, attempt, url)
