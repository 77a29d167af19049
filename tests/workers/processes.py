"""`python -m bot worker` processes for tests that need real worker processes (killed, counted, inspected)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.config import ROOT, Settings


class Workers:
    """`python -m bot worker` processes on the test's Redis prefix, queue, database and sandbox."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.env = {
            **os.environ,
            "REDIS_URL": settings.redis_url,
            "REDIS_PREFIX": settings.redis_prefix,
            "RQ_QUEUE": settings.queue_name,
            "DATABASE_URL": settings.database_url,
            "WECHAT_API_BASE_URL": settings.api_base_url,
            "WECHAT_APP_ID": settings.app_id,
            "WECHAT_APP_SECRET": settings.app_secret,
            "WECHAT_TOKEN": settings.wechat_token,
            "KNOWLEDGE_DIR": str(settings.knowledge_dir),
            "INDEX_DIR": str(settings.index_dir),
            "VAR_DIR": str(settings.var_dir),
            "SECRET_KEY": settings.secret_key,
            "BROADCAST_RATE": str(settings.broadcast_rate),
            "LOG_LEVEL": "WARNING",
        }
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []
        self.started = 0

    def start(self, count: int) -> None:
        for _ in range(count):
            self.started += 1
            log = (self.logs / f"worker-{self.started}.log").open("w")
            self.processes.append(subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=ROOT, env=self.env,
                                                   stdout=log, stderr=subprocess.STDOUT))

    def kill(self) -> None:
        """kill -9 every running worker, mid-send."""
        for process in self.processes:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
        self.processes = []

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = []
