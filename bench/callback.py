"""Callback throughput: the app under gunicorn next to a bare WeRoBot echo, same signed load (bench/callback.py)."""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.protocol import sha1_signature  # noqa: E402
from bot.redis_conn import free_port, start_private  # noqa: E402
from bot.wire import Signer, text_message  # noqa: E402

TOKEN = "bench-token"
OUT_OF_SCOPE = ["今天天气怎么样", "讲个笑话吧", "北京到上海的高铁要多久", "你喜欢什么颜色", "帮我写一首诗",
                "明天股市会涨吗"]
GOAL_RATIO = 0.5
GOAL_P99_MS = 50.0


def echo_app() -> Any:
    """gunicorn factory: a bare WeRoBot that echoes text, with no session, dedupe or metrics."""
    from werobot import WeRoBot

    robot = WeRoBot(token=os.environ.get("BENCH_TOKEN", TOKEN), enable_session=False)

    @robot.text
    def echo(message: Any) -> str:
        return str(message.content)

    return robot.wsgi


def kb_phrases(knowledge_dir: Path) -> list[str]:
    """Every FAQ question and similar phrasing in the KB: texts the service answers from its FAQ."""
    import yaml

    phrases: list[str] = []
    for path in sorted(knowledge_dir.glob("faq/*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            phrases.append(str(entry["question"]))
            phrases.extend(str(s) for s in entry.get("similar") or [])
    return phrases


CONTENTLESS = ["😀", "。。。", "？", "嗯", "哈哈哈", "👍"]
_msg_ids = itertools.count(int(time.time() * 1000) * 1000)


def build_load(count: int, retry_ratio: float, fallback_ratio: float, phrases: list[str],
               seed: int) -> list[tuple[str, bytes]]:
    """Signed plaintext text messages: unique MsgIds from 200 subscribers, plus retries of recent messages."""
    rng = random.Random(seed)
    signer = Signer(TOKEN)
    load: list[tuple[str, bytes]] = []
    while len(load) < count:
        if load and rng.random() < retry_ratio:
            load.append(load[rng.randrange(max(0, len(load) - 32), len(load))])
            continue
        text = rng.choice(OUT_OF_SCOPE) if rng.random() < fallback_ratio else rng.choice(phrases)
        openid = f"o-bench-{rng.randrange(200):03d}"
        load.append(signer.request(text_message(openid, text, msg_id=next(_msg_ids))))
    return load


@dataclass
class Result:
    """What one run measured."""

    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def completed(self) -> int:
        """Requests answered with HTTP 200."""
        return self.statuses["200"]

    @property
    def rps(self) -> float:
        """Answered requests per second of wall time."""
        return self.completed / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        """One summary line."""
        mean = statistics.fmean(self.latencies) * 1000 if self.latencies else float("nan")
        return (f"{self.name:<28} {self.rps:8.1f} req/s   p50 {self.percentile(0.50):6.1f} ms   "
                f"p99 {self.percentile(0.99):6.1f} ms   mean {mean:6.1f} ms   "
                f"statuses {dict(self.statuses)}")


def drive(port: int, load: list[tuple[str, bytes]], concurrency: int, time_limit: float, name: str) -> Result:
    """Send the load over `concurrency` keep-alive connections; each connection sends its next request on reply."""
    result = Result(name)
    lock = threading.Lock()
    counter = itertools.count()
    start = threading.Barrier(concurrency + 1)
    deadline = [0.0]
    headers = {"Content-Type": "text/xml", "Connection": "keep-alive"}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        latencies, statuses = [], Counter()
        start.wait()
        while (index := next(counter)) < len(load) and time.monotonic() < deadline[0]:
            query, body = load[index]
            began = time.perf_counter()
            try:
                conn.request("POST", f"/wechat?{query}", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            latencies.append(time.perf_counter() - began)
            statuses[status] += 1
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.statuses.update(statuses)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + time_limit
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - began
    return result


def wait_ready(port: int, path: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    """Poll until GET path answers 200, or fail when the server died or timed out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on {port} not ready after {timeout:.0f}s")


@contextmanager
def gunicorn(target: str, env: dict[str, str], ready_path: str, workers: int, threads: int,
             log: Path) -> Iterator[int]:
    """Serve a WSGI target under gunicorn (gthread) on a free loopback port."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "gthread", "--threads", str(threads), "--timeout", "60", "--log-level", "warning",
               target]
    with log.open("ab") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    try:
        try:
            wait_ready(port, ready_path, process)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}; server log:\n{log.read_text(errors='replace')[-3000:]}") from None
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def verify_query() -> str:
    """A signed GET query (echostr) for readiness checks of the echo app."""
    timestamp, nonce = str(int(time.time())), "ready"
    return urlencode({"timestamp": timestamp, "nonce": nonce, "signature": sha1_signature(TOKEN, timestamp, nonce),
                      "echostr": "ok"})


def scrape(port: int) -> dict[str, float]:
    """Selected counters from the app's /metrics (aggregated over gunicorn workers)."""
    from prometheus_client.parser import text_string_to_metric_families

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    totals: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "kp_dedupe_hits_total":
                totals["dedupe hits"] += sample.value
            elif sample.name == "kp_replies_total":
                totals[f"reply {sample.labels.get('kind')}"] += sample.value
            elif sample.name == "kp_deferred_replies_total":
                totals["deferred"] += sample.value
    return dict(totals)


def app_environment(work: Path, redis_url: str, sandbox_port: int, knowledge_dir: Path, index_dir: Path,
                    metrics_dir: Path) -> dict[str, str]:
    """Environment for the service under test: private Redis, temporary SQLite, shipped KB, the sandbox."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DATABASE_", "REDIS_"))}
    env.update(
        WECHAT_TOKEN=TOKEN,
        BENCH_TOKEN=TOKEN,
        REDIS_URL=redis_url,
        REDIS_PREFIX="bench:",
        DATABASE_URL=f"sqlite:///{work / 'bench.db'}",
        VAR_DIR=str(work / "var"),
        KNOWLEDGE_DIR=str(knowledge_dir),
        INDEX_DIR=str(index_dir),
        SANDBOX_PORT=str(sandbox_port),
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


def run(requests: int = 4000, concurrency: int = 16, workers: int = 2, threads: int = 8, retry_ratio: float = 0.15,
        fallback_ratio: float = 0.1, time_limit: float = 120.0, warmup: int = 300, seed: int = 7,
        knowledge_dir: Path | None = None) -> tuple[Result, Result]:
    """Start Redis, the sandbox and both servers, drive each with the same load, and print the comparison."""
    knowledge_dir = knowledge_dir or ROOT / "knowledge"
    index_dir = ROOT / "var" / "bench-index"
    work = Path(tempfile.mkdtemp(prefix="kp-bench-"))
    metrics_dir = work / "metrics"
    metrics_dir.mkdir()
    log = work / "servers.log"
    redis_server = start_private(free_port(), work / "redis")
    sandbox_port = free_port()
    env = app_environment(work, redis_server.url, sandbox_port, knowledge_dir, index_dir, metrics_dir)
    sandbox = subprocess.Popen([sys.executable, "-m", "bot", "sandbox", "--port", str(sandbox_port), "--keys",
                                str(work / "keys")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        for step in (["index", "build"], ["db", "upgrade"]):
            subprocess.run([sys.executable, "-m", "bot", *step], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        print(f"load: {requests} signed text messages ({retry_ratio:.0%} retries, ~{fallback_ratio:.0%} out of "
              f"scope, the rest FAQ phrasings), {concurrency} connections, gunicorn gthread "
              f"{workers}x{threads}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
        phrases = kb_phrases(knowledge_dir)
        results = []
        for name, target, ready in (("service (app:app)", "app:app", "/healthz"),
                                    ("bare WeRoBot echo", "bench.callback:echo_app()", f"/wechat?{verify_query()}")):
            with gunicorn(target, env, ready, workers, threads, log) as port:
                drive(port, build_load(warmup, 0.0, fallback_ratio, phrases, seed + 1), concurrency, 60, "warm-up")
                result = drive(port, build_load(requests, retry_ratio, fallback_ratio, phrases, seed),
                               concurrency, time_limit, name)
                print(result.line(), flush=True)
                if target == "app:app":
                    print(f"{'':<28} /metrics: {scrape(port)}", flush=True)
                    bare = drive(port, build_load(requests, retry_ratio, 0.0, CONTENTLESS, seed), concurrency,
                                 time_limit, "service, no embedding (*)")
                    print(bare.line(), flush=True)
            results.append(result)
        service, echo = results
        ratio = service.rps / echo.rps if echo.rps else float("nan")
        met = "met" if ratio >= GOAL_RATIO else "MISSED"
        print(f"ratio service/echo: {ratio:.2f}x (goal >= {GOAL_RATIO}x: {met}); "
              f"service p99 {service.percentile(0.99):.1f} ms (goal < {GOAL_P99_MS:.0f} ms: "
              f"{'met' if service.percentile(0.99) < GOAL_P99_MS else 'MISSED'})", flush=True)
        print(f"load average at the end {os.getloadavg()[0]:.1f} (other processes on this machine skew both runs)",
              flush=True)
        print("(*) the same service and load path with texts the engine decides without a query embedding "
              "(emoji, punctuation): what signatures, parsing, dedupe, session, metrics and logging cost", flush=True)
        return service, echo
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        redis_server.stop()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--retry-ratio", type=float, default=0.15)
    parser.add_argument("--fallback-ratio", type=float, default=0.1)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per server, at most")
    args = parser.parse_args(argv)
    run(args.requests, args.concurrency, args.workers, args.threads, args.retry_ratio, args.fallback_ratio,
        args.time_limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
