"""Logging: one line per event, openids hashed, never secrets."""

from __future__ import annotations

import hashlib
import logging
import sys


def hash_openid(openid: str | None) -> str:
    """A short stable pseudonym for an openid, safe to log."""
    if not openid:
        return "-"
    return "u" + hashlib.sha256(openid.encode()).hexdigest()[:10]


class _DropRoutine(logging.Filter):
    """Drops rq's record of each periodic enqueue (the broadcast sweep alone is one every 5 s); the
    schedule itself is still logged once at start."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Enqueued job")


def setup(level: str = "INFO") -> None:
    """Configure the root logger once: single-line records to stderr."""
    root = logging.getLogger()
    if getattr(root, "_kp_configured", False):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    root._kp_configured = True  # type: ignore[attr-defined]
    for noisy in ("jieba", "urllib3", "werkzeug", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("rq.cron").addFilter(_DropRoutine())
