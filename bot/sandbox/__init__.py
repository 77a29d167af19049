"""A local fake of the WeChat official-account platform and WeChat Pay APIv3, for tests and development."""

from bot.sandbox.app import create_sandbox_app
from bot.sandbox.client import SandboxClient, SandboxError
from bot.sandbox.config import DEFAULT_OPENID, SandboxConfig
from bot.sandbox.keys import DevKeys, ensure_dev_keys
from bot.sandbox.server import SandboxServer, dev_config, serve, start_in_thread

__all__ = [
    "DEFAULT_OPENID",
    "DevKeys",
    "SandboxClient",
    "SandboxConfig",
    "SandboxError",
    "SandboxServer",
    "create_sandbox_app",
    "dev_config",
    "ensure_dev_keys",
    "serve",
    "start_in_thread",
]
