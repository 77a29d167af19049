"""`python app.py`: the whole service in one process with embedded defaults."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from bot import logs
from bot.config import ConfigError, PaySettings, Settings
from bot.redis_conn import ensure

log = logging.getLogger("embedded")
SANDBOX_MCH_ID = "1900000001"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def dev_pay_settings(keys: Any, api_base_url: str) -> PaySettings:
    """Merchant settings on the sandbox's development keys (a `bot.sandbox.DevKeys`)."""
    return PaySettings(
        mch_id=SANDBOX_MCH_ID,
        private_key_path=keys.merchant_private_key_path,
        cert_serial=keys.merchant_cert_serial,
        apiv3_key=keys.apiv3_key,
        public_key_path=keys.platform_public_key_path,
        public_key_id=keys.platform_public_key_id,
        api_base_url=api_base_url,
    )


def start_sandbox(settings: Settings) -> Settings:
    """Start the platform sandbox in-process (unless one already listens) and point Pay at it."""
    from bot.sandbox import SandboxConfig, ensure_dev_keys
    from bot.sandbox import start_in_thread as start_sandbox_thread

    keys = ensure_dev_keys(settings.var_dir / "sandbox-keys")
    pay = settings.pay or dev_pay_settings(keys, settings.api_base_url)
    if _listening(settings.sandbox_port):
        log.warning("something already listens on %d; using it as the sandbox", settings.sandbox_port)
    else:
        config = SandboxConfig.from_dev_keys(keys, app_id=settings.app_id, app_secret=settings.app_secret,
                                             mch_id=pay.mch_id)
        handle = start_sandbox_thread(config, "127.0.0.1", settings.sandbox_port)
        log.warning("no WeChat credentials set: using the sandbox at %s", handle.url)
    return settings.with_(pay=pay)


def run(settings: Settings) -> None:
    """Private Redis if needed, the sandbox, the app, an in-process worker, then serve forever."""
    from waitress import serve

    from app import create_app
    from workers.runner import start_in_thread

    logs.setup(settings.log_level)
    if _listening(settings.port):      # refused now, not after a minute of loading the index
        raise ConfigError([f"PORT: something already listens on {settings.port}"])
    url, private = ensure(settings.redis_url, settings.var_dir / "redis")
    if private is not None:
        settings = settings.with_(redis_url=url)
    try:
        if settings.sandbox:
            settings = start_sandbox(settings)
        app = create_app(settings)
        start_in_thread(app.extensions["deps"])
        host = os.environ.get("HOST", "127.0.0.1")
        log.warning("serving on http://%s:%d (callback /wechat, token %s)", host, settings.port,
                    "from WECHAT_TOKEN" if not settings.sandbox else repr(settings.wechat_token))
        serve(app, host=host, port=settings.port, threads=32, channel_timeout=30, ident="kp")
    finally:
        if private is not None:
            private.stop()
