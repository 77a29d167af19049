"""Broadcast benchmark: N subscribers through the sandbox at 20 ms API latency with real worker processes.

python bench/broadcast.py [--subscribers 100000] [--workers 2] [--rate 100] [--latency-ms 20]
                          [--pg postgresql://postgres@127.0.0.1:5432/test] [--json]

A private redis-server (so INFO commandstats counts only this run), the sandbox in its own process, PostgreSQL in a
throwaway schema, `users sync` to load the followers, then one broadcast to everyone sent by `python -m bot worker`
processes. Reports sends/s (steady state and overall), Redis commands per send, and each worker's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import redis
from rq import Worker

from bot.config import ROOT, SANDBOX_APP_ID, SANDBOX_APP_SECRET, Settings
from bot.deps import build_deps
from bot.sandbox import SandboxClient
from handlers import broadcasts
from handlers.subscribers import sync

TEMPLATE = "TM-BENCH"


def free_port() -> int:
    """An unused local TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Any, timeout: float = 30) -> None:
    """Poll `check` until it stops raising."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def redis_commands(client: redis.Redis) -> dict[str, int]:
    """Commands the server has executed by name (INFO commandstats), excluding INFO itself."""
    stats = client.info("commandstats")
    return {k.removeprefix("cmdstat_"): v["calls"] for k, v in stats.items() if k != "cmdstat_info"}


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a live process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Set everything up, broadcast, measure; returns the figures."""
    processes: list[subprocess.Popen[bytes]] = []

    def spawn(command: list[str], env: dict[str, str] | None = None, name: str = "p") -> subprocess.Popen[bytes]:
        log = (tmp / f"{name}-{len(processes)}.log").open("w")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        redis_port, sandbox_port = free_port(), free_port()
        spawn(["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"], name="redis")
        spawn([sys.executable, "-m", "bot", "sandbox", "--port", str(sandbox_port), "--keys", str(tmp / "keys")],
              name="sandbox")
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        platform = SandboxClient(f"http://127.0.0.1:{sandbox_port}")
        wait_until(lambda: redis.Redis.from_url(redis_url).ping())
        wait_until(platform.faults)
        database_url = (f"{args.pg.replace('postgresql://', 'postgresql+psycopg://', 1)}"
                        f"?options=-csearch_path%3D{schema}")
        settings = Settings(app_id=SANDBOX_APP_ID, app_secret=SANDBOX_APP_SECRET, api_base_url=platform.base_url,
                            oauth_base_url=platform.base_url, redis_url=redis_url, redis_prefix="bench:",
                            queue_name="bench", database_url=database_url, knowledge_dir=ROOT / "knowledge",
                            index_dir=ROOT / "var" / "index", var_dir=tmp / "var", secret_key=uuid.uuid4().hex,
                            broadcast_rate=args.rate, log_level="WARNING")
        deps = build_deps(settings)
        platform.seed_users(args.subscribers, prefix="oBENCH")
        started = time.monotonic()
        synced = sync(deps)
        sync_seconds = time.monotonic() - started
        if args.latency_ms:
            platform.fault("/cgi-bin/message/template/send", latency_ms=args.latency_ms)
        env = {**os.environ, "REDIS_URL": redis_url, "REDIS_PREFIX": "bench:", "RQ_QUEUE": "bench",
               "DATABASE_URL": database_url, "WECHAT_API_BASE_URL": platform.base_url,
               "WECHAT_APP_ID": SANDBOX_APP_ID, "WECHAT_APP_SECRET": SANDBOX_APP_SECRET, "WECHAT_TOKEN": "bench",
               "KNOWLEDGE_DIR": str(ROOT / "knowledge"), "INDEX_DIR": str(ROOT / "var" / "index"),
               "VAR_DIR": str(tmp / "var"), "SECRET_KEY": settings.secret_key, "BROADCAST_RATE": str(args.rate),
               "LOG_LEVEL": "WARNING"}
        workers = [spawn([sys.executable, "-m", "bot", "worker"], env, "worker") for _ in range(args.workers)]
        deadline = time.monotonic() + 120
        while Worker.count(connection=deps.redis, queue=deps.queue) < args.workers and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)
        baseline = [peak_rss_mb(w.pid) for w in workers]
        created = broadcasts.create(deps, {"name": "bench", "template_id": TEMPLATE,
                                           "data": {"thing1": {"value": "课程更新"}},
                                           "url": "https://example.com/c", "audience": {"all": True}})
        commands_before = redis_commands(deps.redis)
        broadcasts.start(deps, int(created["id"]))
        while (status := broadcasts.status(deps, int(created["id"])))["state"] not in ("done", "cancelled", "paused"):
            if args.progress:
                print(f"\r{status['sent']}/{status['total']}", end="", file=sys.stderr, flush=True)
            time.sleep(1)
        after = redis_commands(deps.redis)
        by_command = {k: n - commands_before.get(k, 0) for k, n in after.items() if n > commands_before.get(k, 0)}
        commands = sum(by_command.values())
        peaks = [peak_rss_mb(w.pid) for w in workers]
        calls = platform.calls("/cgi-bin/message/template/send")
        times = sorted(c["time"] for c in calls)
        span = times[-1] - times[0]
        middle = [t for t in times if times[0] + span * 0.1 <= t <= times[0] + span * 0.9]
        report = platform.summary(TEMPLATE, counts=False)
        return {
            "subscribers": args.subscribers, "workers": args.workers, "rate_limit": args.rate,
            "latency_ms": args.latency_ms, "users_sync_seconds": round(sync_seconds, 1),
            "synced": synced.followers, "state": status["state"], "sent": status["sent"],
            "unknown": status["unknown"], "failed": status["failed"], "delivered": report["messages"],
            "duplicates": len(report["duplicates"]), "send_calls": len(calls),
            "seconds": round(span, 1), "sends_per_second": round(len(calls) / span, 1),
            "steady_sends_per_second": round(len(middle) / (span * 0.8), 1),
            "redis_commands_per_send": round(commands / len(calls), 3),
            "redis_commands_top": dict(sorted(by_command.items(), key=lambda kv: -kv[1])[:8]),
            "worker_rss_mb_idle": [round(b) for b in baseline], "worker_rss_mb_peak": [round(p) for p in peaks],
        }
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    """Parse options, run once, print figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=100.0, help="BROADCAST_RATE, sends per second")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="injected template/send latency")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--progress", action="store_true", help="print sent/total while it runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp:
        figures = run(args, Path(tmp))
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:28} {value}")
    if figures["duplicates"] or figures["unknown"] or figures["delivered"] != figures["subscribers"]:
        raise SystemExit("broadcast did not reach every subscriber exactly once")


if __name__ == "__main__":
    main()
