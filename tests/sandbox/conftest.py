"""Fixtures for the sandbox tests: one sandbox over real HTTP, wechatpy and wechatpayv3 clients, a notify receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpy import WeChatClient

from bot.sandbox import DevKeys, SandboxConfig, SandboxServer, ensure_dev_keys, start_in_thread


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> DevKeys:
    """Development keys made once per run."""
    return ensure_dev_keys(tmp_path_factory.mktemp("sandbox-keys"))


@pytest.fixture(scope="session")
def sandbox_server(dev_keys: DevKeys) -> Iterator[SandboxServer]:
    """One sandbox for the whole run, on an ephemeral port, checking merchant signatures."""
    config = SandboxConfig.from_dev_keys(dev_keys, notify_retry_delays=(0.2, 0.4), oauth_code_ttl=300)
    server = start_in_thread(config)
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxServer:
    """The shared sandbox, reset before the test."""
    sandbox_server.client.reset()
    return sandbox_server


class SandboxWeChatClient(WeChatClient):
    """wechatpy's client pointed at the sandbox (wechatpy 1.8 hard-codes the token URL, so it is overridden)."""

    def __init__(self, base_url: str, appid: str, secret: str, **kwargs: Any) -> None:
        self.API_BASE_URL = f"{base_url}/cgi-bin/"
        self._base_url = base_url
        super().__init__(appid, secret, **kwargs)

    def fetch_access_token(self) -> dict[str, Any]:
        """GET /cgi-bin/token on the sandbox."""
        return self._fetch_access_token(
            url=f"{self._base_url}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


WeChatFactory = Callable[..., SandboxWeChatClient]


@pytest.fixture
def wechat_factory(sandbox: SandboxServer) -> WeChatFactory:
    """Build wechatpy clients for the sandbox: factory(appid=…, secret=…, access_token=…, auto_retry=…)."""

    def build(appid: str | None = None, secret: str | None = None, **kwargs: Any) -> SandboxWeChatClient:
        kwargs.setdefault("timeout", 10)
        return SandboxWeChatClient(
            sandbox.url, appid or sandbox.config.app_id, secret or sandbox.config.app_secret, **kwargs
        )

    return build


@pytest.fixture
def wechat(wechat_factory: WeChatFactory) -> SandboxWeChatClient:
    """A wechatpy client talking to the sandbox, with a timeout on every call."""
    return wechat_factory()


class NotifyReceiver:
    """A tiny HTTP server that records every POST and answers with the next queued status (default 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.received = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.received:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body.decode("utf-8")}
                    )
                    receiver.received.notify_all()
                payload = json.dumps({"code": "SUCCESS" if status < 300 else "FAIL", "message": ""}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/pay/notify"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def wait(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until at least `count` notifies arrived; return them all."""
        with self.received:
            if not self.received.wait_for(lambda: len(self.requests) >= count, timeout=timeout):
                raise TimeoutError(f"got {len(self.requests)} notifies, expected {count}")
            return list(self.requests)

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[NotifyReceiver]:
    """A fresh notify receiver."""
    server = NotifyReceiver()
    yield server
    server.close()


@pytest.fixture
def wxpay_factory(sandbox: SandboxServer, dev_keys: DevKeys) -> Callable[[str], WeChatPay]:
    """Build wechatpayv3 clients on the sandbox for a given notify_url."""
    return lambda notify_url: make_pay_client(sandbox, dev_keys, notify_url)


@pytest.fixture
def wxpay(wxpay_factory: Callable[[str], WeChatPay], receiver: NotifyReceiver) -> WeChatPay:
    """The real wechatpayv3 client (platform-public-key mode) with its API host pointed at the sandbox."""
    return wxpay_factory(receiver.url)


def make_pay_client(sandbox: SandboxServer, keys: DevKeys, notify_url: str, **kwargs: Any) -> WeChatPay:
    """wechatpayv3 has no host option: its gateway is the private `_core._gate_way` attribute, set here."""
    client = WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=sandbox.config.mch_id,
        private_key=keys.merchant_private_key_pem.decode(),
        cert_serial_no=keys.merchant_cert_serial,
        appid=sandbox.config.app_id,
        apiv3_key=keys.apiv3_key,
        notify_url=notify_url,
        public_key=keys.platform_public_key_pem.decode(),
        public_key_id=keys.platform_public_key_id,
        timeout=(5, 10),
        **kwargs,
    )
    client._core._gate_way = sandbox.url
    return client
