"""Running the sandbox: a blocking multi-threaded server, or one in a background thread with a stop handle."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Self

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot.sandbox.app import EVENTS_KEY, create_sandbox_app
from bot.sandbox.client import SandboxClient
from bot.sandbox.common import EXTENSION
from bot.sandbox.config import SandboxConfig
from bot.sandbox.keys import ensure_dev_keys
from bot.sandbox.state import State

log = logging.getLogger(__name__)


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without a log line per request (the sandbox records calls itself)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do not log successful requests."""


def _make(config: SandboxConfig, host: str, port: int) -> tuple[Flask, BaseWSGIServer]:
    app = create_sandbox_app(config)
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    return app, server


class SandboxServer:
    """A sandbox serving in a background thread: `.url`, `.state`, `.client`, `.stop()`; usable as a context."""

    def __init__(self, app: Flask, server: BaseWSGIServer) -> None:
        self.app = app
        self._server = server
        self.host = server.server_address[0]
        self.port = server.server_port
        self.url = f"http://{self.host}:{self.port}"
        self.client = SandboxClient(self.url)
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="wechat-sandbox", daemon=True)

    @property
    def state(self) -> State:
        """The live in-memory state (for assertions in tests)."""
        return self.app.extensions[EXTENSION]

    @property
    def config(self) -> SandboxConfig:
        """The sandbox's configuration."""
        return self.state.config

    def start(self) -> SandboxServer:
        """Start serving; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and end the event thread; pending notify retries are cancelled."""
        self.state.reset()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        events = self.app.extensions.get(EVENTS_KEY)
        if events is not None:
            events.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(config: SandboxConfig, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Serve the sandbox in a daemon thread (port 0: any free port) and return its handle."""
    app, server = _make(config, host, port)
    return SandboxServer(app, server).start()


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    app, server = _make(config, host, port)
    log.info("WeChat sandbox listening on http://%s:%d", host, server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        events = app.extensions.get(EVENTS_KEY)
        if events is not None:
            events.stop()


def dev_config(keys_dir: str | os.PathLike[str] = "var/sandbox-keys", **overrides: Any) -> SandboxConfig:
    """A config on the development keys in `keys_dir` (created on first use)."""
    return SandboxConfig.from_dev_keys(ensure_dev_keys(Path(keys_dir)), **overrides)
