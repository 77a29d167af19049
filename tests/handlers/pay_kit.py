"""Helpers for the sales tests: the app served over HTTP at its own public URL, identities and signed notifies."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from bot.config import Settings
from bot.models import Entitlement, Order, PaymentEvent
from bot.sandbox import ensure_dev_keys
from bot.sandbox.notify import rfc3339
from bot.sandbox.signing import encrypt_resource, load_private_key, wechatpay_headers

ITEM = "py-asyncio-intro"
BUYER = "oBuyer00000000000000000000001"
WECHAT_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50"


class PublicApp:
    """The app served on a real port, built with PUBLIC_BASE_URL pointing at that port (so notifies reach it)."""

    def __init__(self, settings: Settings) -> None:
        from app import create_app

        self._app: Any = None
        self.server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.app = create_app(settings.with_(public_base_url=self.url), watch=False)
        self._app = self.app
        self.deps = self.app.extensions["deps"]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self._app(environ, start_response)

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()

    def browser(self, openid: str = BUYER, item_id: str = ITEM) -> requests.Session:
        """A browser session that opened a chat link as `openid` (so it carries the identity cookie)."""
        session = requests.Session()
        token = self.deps.identity.link_token(openid)
        response = session.get(f"{self.url}/articles/{item_id}?t={token}", timeout=10)
        assert response.status_code == 200, response.status_code
        return session

    def order(self, session: requests.Session, item_id: str = ITEM, **headers: str) -> dict[str, Any]:
        """POST the buy button's request; returns the 201 body."""
        response = session.post(f"{self.url}/articles/{item_id}/order", headers=headers, timeout=15)
        assert response.status_code == 201, response.text
        return response.json()


class Notifier:
    """Signs and encrypts notifies with the development platform key, as WeChat Pay would."""

    def __init__(self, keys_dir: Path, settings: Settings) -> None:
        keys = ensure_dev_keys(keys_dir)
        self.key = load_private_key(keys.platform_private_key_pem)
        self.key_id = keys.platform_public_key_id
        self.apiv3_key = keys.apiv3_key
        self.settings = settings

    def transaction(self, out_trade_no: str, total: int, **changes: Any) -> dict[str, Any]:
        """A SUCCESS transaction for this merchant."""
        assert self.settings.pay is not None
        data: dict[str, Any] = {
            "appid": self.settings.app_id, "mchid": self.settings.pay.mch_id, "out_trade_no": out_trade_no,
            "transaction_id": "4200000000" + out_trade_no[-10:], "trade_type": "NATIVE", "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "", "success_time": rfc3339(),
            "payer": {"openid": BUYER}, "amount": {"total": total, "payer_total": total, "currency": "CNY",
                                                    "payer_currency": "CNY"},
        }
        data.update(changes)
        return data

    def signed(self, transaction: dict[str, Any], at: float | None = None,
               event_type: str = "TRANSACTION.SUCCESS") -> tuple[str, dict[str, str]]:
        """(body, headers) of one notify carrying `transaction` (or, with a REFUND.* event type, a refund)."""
        kind = "refund" if event_type.startswith("REFUND.") else "transaction"
        resource = encrypt_resource(self.apiv3_key, transaction, kind)
        resource["original_type"] = kind
        body = json.dumps({"id": f"n-{time.time_ns()}", "create_time": rfc3339(), "resource_type": "encrypt-resource",
                           "event_type": event_type, "summary": "支付成功", "resource": resource},
                          ensure_ascii=False, separators=(",", ":"))
        headers = wechatpay_headers(self.key, self.key_id, body, at)
        headers["Content-Type"] = "application/json"
        return body, headers


def counts(deps: Any, out_trade_no: str) -> tuple[int, int]:
    """(entitlements granted by this order, payment events logged for it)."""
    with deps.sessions() as session:
        granted = session.scalar(select(func.count()).select_from(Entitlement)
                                 .where(Entitlement.out_trade_no == out_trade_no))
        events = session.scalar(select(func.count()).select_from(PaymentEvent)
                                .where(PaymentEvent.out_trade_no == out_trade_no))
    return int(granted or 0), int(events or 0)


def rejected_events(deps: Any) -> int:
    """How many notifies were logged without a verified signature."""
    with deps.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(PaymentEvent)
                                  .where(PaymentEvent.verified.is_(False))) or 0)


def order_row(deps: Any, out_trade_no: str) -> Order:
    """The ledger's order."""
    with deps.sessions() as session:
        return session.get(Order, out_trade_no)


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until check() is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)


def run_jobs(public: PublicApp) -> None:
    """Run the queued jobs with the served app's Deps (same queue and database)."""
    from workers.runner import make_worker

    make_worker(public.deps).work(burst=True, logging_level="WARNING")
