"""Sales benchmark on PostgreSQL: order-creation latency, notify throughput, 100 concurrent duplicate notifies.

python bench/pay.py [--pg postgresql://postgres@127.0.0.1:5432/test] [--orders 200] [--workers 16] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import requests
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from bot import logs
from bot.config import ROOT, SANDBOX_APP_ID, SANDBOX_APP_SECRET, PaySettings, Settings
from bot.models import Entitlement, PaymentEvent
from bot.sandbox import dev_config, ensure_dev_keys, start_in_thread
from bot.sandbox.notify import rfc3339
from bot.sandbox.signing import encrypt_resource, load_private_key, wechatpay_headers

ITEM = "py-asyncio-intro"


class Quiet(WSGIRequestHandler):
    """No access log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip."""


def _settings(sandbox_url: str, keys: Any, database_url: str, var_dir: Path) -> Settings:
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    return Settings(
        app_id=SANDBOX_APP_ID, app_secret=SANDBOX_APP_SECRET, api_base_url=sandbox_url, oauth_base_url=sandbox_url,
        pay=PaySettings(mch_id="1900000001", private_key_path=keys.merchant_private_key_path,
                        cert_serial=keys.merchant_cert_serial, apiv3_key=keys.apiv3_key,
                        public_key_path=keys.platform_public_key_path, public_key_id=keys.platform_public_key_id,
                        api_base_url=sandbox_url),
        redis_prefix=prefix, queue_name=prefix.rstrip(":").replace(":", "-"), database_url=database_url,
        knowledge_dir=ROOT / "knowledge", index_dir=ROOT / "var" / "index", var_dir=var_dir,
        secret_key=uuid.uuid4().hex, log_level="WARNING",
    )


def _notify(keys: Any, key: Any, settings: Settings, out_trade_no: str, total: int) -> tuple[bytes, dict[str, str]]:
    transaction = {
        "appid": settings.app_id, "mchid": "1900000001", "out_trade_no": out_trade_no, "trade_type": "NATIVE",
        "transaction_id": f"42{out_trade_no[-26:]}", "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
        "success_time": rfc3339(), "amount": {"total": total, "payer_total": total, "currency": "CNY"},
    }
    resource = encrypt_resource(keys.apiv3_key, transaction, "transaction")
    body = json.dumps({"id": uuid.uuid4().hex, "create_time": rfc3339(), "resource_type": "encrypt-resource",
                       "event_type": "TRANSACTION.SUCCESS", "resource": resource}, separators=(",", ":"))
    headers = wechatpay_headers(key, keys.platform_public_key_id, body)
    headers["Content-Type"] = "application/json"
    return body.encode(), headers


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(pg: str, orders: int, workers: int) -> dict[str, Any]:
    """Serve the app on PostgreSQL with the sandbox, then time orders and notifies."""
    from app import create_app

    logs.setup("WARNING")
    scratch = Path(tempfile.mkdtemp(prefix="bench-pay-"))
    keys = ensure_dev_keys(scratch / "keys")
    sandbox = start_in_thread(dev_config(scratch / "keys", app_id=SANDBOX_APP_ID, app_secret=SANDBOX_APP_SECRET))
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = pg.replace("postgresql://", "postgresql+psycopg://", 1) + f"?options=-csearch_path%3D{schema}"
    holder: dict[str, Any] = {}
    server = make_server("127.0.0.1", 0, lambda e, s: holder["app"](e, s), threaded=True, request_handler=Quiet)
    base = f"http://127.0.0.1:{server.server_port}"
    settings = _settings(sandbox.url, keys, url, scratch / "var").with_(public_base_url=base)
    try:
        holder["app"] = app = create_app(settings, watch=False)
        deps = app.extensions["deps"]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        price = deps.knowledge.engine.kb.items[ITEM].price_fen

        def buy(n: int) -> tuple[float, str]:
            browser = requests.Session()
            browser.get(f"{base}/articles/{ITEM}?t={deps.identity.link_token(f'oBench{n:023d}')}", timeout=30)
            started = time.perf_counter()
            response = browser.post(f"{base}/articles/{ITEM}/order", timeout=30)
            elapsed = time.perf_counter() - started
            assert response.status_code == 201, response.text
            return elapsed, response.json()["out_trade_no"]

        with ThreadPoolExecutor(workers) as pool:
            placed = list(pool.map(buy, range(orders)))
        latencies = [seconds * 1000 for seconds, _ in placed]
        key = load_private_key(keys.platform_private_key_pem)
        bodies = [_notify(keys, key, settings, no, price) for _, no in placed]
        http = threading.local()

        def post(notify: tuple[bytes, dict[str, str]]) -> int:
            session = getattr(http, "session", None) or requests.Session()
            http.session = session
            return session.post(f"{base}/pay/notify", data=notify[0], headers=notify[1], timeout=60).status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            statuses = list(pool.map(post, bodies))
        notify_s = time.perf_counter() - started
        one = bodies[0]
        barrier = threading.Barrier(100)

        def duplicate(_: int) -> int:
            barrier.wait()
            return requests.post(f"{base}/pay/notify", data=one[0], headers=one[1], timeout=60).status_code

        with ThreadPoolExecutor(100) as pool:
            dup_statuses = list(pool.map(duplicate, range(100)))
        with deps.sessions() as session:
            granted = session.scalar(select(func.count()).select_from(Entitlement))
            first = session.scalar(select(func.count()).select_from(Entitlement)
                                   .where(Entitlement.out_trade_no == placed[0][1]))
            logged = session.scalar(select(func.count()).select_from(PaymentEvent)
                                    .where(PaymentEvent.out_trade_no == placed[0][1]))
        return {
            "orders": orders, "workers": workers,
            "order_ms": {"p50": round(statistics.median(latencies), 1), "p95": round(_pct(latencies, 0.95), 1),
                         "mean": round(statistics.fmean(latencies), 1)},
            "notify_per_s": round(orders / notify_s, 1), "notify_2xx": sum(200 <= s < 300 for s in statuses),
            "granted": granted,
            "duplicates": {"sent": 100, "2xx": sum(200 <= s < 300 for s in dup_statuses), "grants_for_order": first,
                           "events_for_order": logged},
        }
    finally:
        server.shutdown()
        sandbox.stop()
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--orders", type=int, default=200)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = run(args.pg, args.orders, args.workers)
    if args.json:
        print(json.dumps(result))
        return 0
    order_ms = result["order_ms"]
    dup = result["duplicates"]
    print(f"orders: {result['orders']} with {result['workers']} clients; creation latency p50 {order_ms['p50']} ms, "
          f"p95 {order_ms['p95']} ms, mean {order_ms['mean']} ms")
    print(f"notifies: {result['notify_per_s']}/s, {result['notify_2xx']} answered 2xx, {result['granted']} granted")
    print(f"100 concurrent duplicates of one notify: {dup['2xx']} answered 2xx, {dup['grants_for_order']} grant, "
          f"{dup['events_for_order']} notifies logged for the order")
    ok = result["granted"] == result["orders"] and dup["grants_for_order"] == 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
