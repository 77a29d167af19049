"""Settings: one frozen dataclass parsed and validated from the environment."""

from __future__ import annotations

import base64
import binascii
import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parent.parent
REAL_API_BASE_URL = "https://api.weixin.qq.com"
REAL_OAUTH_BASE_URL = "https://open.weixin.qq.com"
REAL_PAY_API_BASE_URL = "https://api.mch.weixin.qq.com"
SANDBOX_APP_ID = "wxsandbox0000000"
SANDBOX_APP_SECRET = "sandbox-secret"
SANDBOX_TOKEN = "sandbox-token"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """One or more environment variables are missing or malformed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("configuration error: " + "; ".join(problems))


@dataclass(frozen=True)
class PaySettings:
    """WeChat Pay APIv3 merchant settings (platform-public-key mode)."""

    mch_id: str
    private_key_path: Path
    cert_serial: str
    apiv3_key: str
    public_key_path: Path
    public_key_id: str
    api_base_url: str = REAL_PAY_API_BASE_URL


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment, already validated."""

    wechat_token: str = SANDBOX_TOKEN
    app_id: str = SANDBOX_APP_ID
    app_secret: str = SANDBOX_APP_SECRET
    aes_key: str | None = None
    api_base_url: str = REAL_API_BASE_URL
    oauth_base_url: str = REAL_OAUTH_BASE_URL
    sandbox: bool = True
    sandbox_port: int = 8001
    pay: PaySettings | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "kp:"
    database_url: str = ""
    knowledge_dir: Path = ROOT / "knowledge"
    index_dir: Path = ROOT / "var" / "index"
    var_dir: Path = ROOT / "var"
    embedding_model: str = ""
    admin_token: str | None = None
    secret_key: str = field(default="", repr=False)
    broadcast_rate: float = 100.0
    reply_deadline: float = 4.5
    port: int = 8000
    api_timeout: float = 5.0
    kb_watch_interval: float = 1.0
    queue_name: str = "default"
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.var_dir / 'app.db'}")
        if not self.secret_key:
            object.__setattr__(self, "secret_key", _persistent_secret(self.var_dir))

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed (tests and tools)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Parse and validate settings (os.environ plus a `.env` file); raise one ConfigError naming every bad one."""
        if environ is None:
            from dotenv import load_dotenv

            load_dotenv(ROOT / ".env", override=False)
        env = dict(os.environ if environ is None else environ)
        problems: list[str] = []
        values: dict[str, object] = {}

        def text(name: str, default: str | None = None) -> str | None:
            value = env.get(name, "").strip()
            return value or default

        def number(name: str, default: float, kind: type = float, minimum: float = 0,
                   maximum: float = math.inf) -> float:
            raw = text(name)
            if raw is None:
                return default
            try:
                value = kind(raw)
            except ValueError:
                problems.append(f"{name}: expected a {kind.__name__}, got {raw!r}")
                return default
            if not math.isfinite(value):
                problems.append(f"{name}: expected a finite number, got {raw!r}")
                return default
            if value <= minimum or value > maximum:
                bound = f"greater than {minimum}" + (f" and at most {maximum}" if math.isfinite(maximum) else "")
                problems.append(f"{name}: must be {bound}, got {raw!r}")
                return default
            return value

        def url(name: str, default: str | None) -> str | None:
            raw = text(name, default)
            if raw is None:
                return None
            if not _is_http_url(raw):
                problems.append(f"{name}: expected an http(s) URL, got {raw!r}")
                return default
            return raw.rstrip("/")

        var_dir = Path(text("VAR_DIR", str(ROOT / "var")) or "var").resolve()
        values["var_dir"] = var_dir
        port = int(number("PORT", 8000, int, maximum=65535))
        values["port"] = port
        app_id, app_secret = text("WECHAT_APP_ID"), text("WECHAT_APP_SECRET")
        if bool(app_id) != bool(app_secret):
            problems.append("WECHAT_APP_ID and WECHAT_APP_SECRET must be set together")
        sandbox = not (app_id and app_secret)
        sandbox_port = int(number("SANDBOX_PORT", 8001, int, maximum=65535))
        values.update(sandbox=sandbox, sandbox_port=sandbox_port)
        values["app_id"] = app_id or SANDBOX_APP_ID
        values["app_secret"] = app_secret or SANDBOX_APP_SECRET
        token = text("WECHAT_TOKEN")
        if token is None and not sandbox:
            problems.append("WECHAT_TOKEN: required when WECHAT_APP_ID is set")
        values["wechat_token"] = token or SANDBOX_TOKEN
        aes_key = text("WECHAT_AES_KEY")
        if aes_key is not None and not _valid_aes_key(aes_key):
            problems.append("WECHAT_AES_KEY: expected the 43-character EncodingAESKey")
        values["aes_key"] = aes_key
        default_api = f"http://127.0.0.1:{sandbox_port}" if sandbox else REAL_API_BASE_URL
        api_base = url("WECHAT_API_BASE_URL", default_api)
        values["api_base_url"] = api_base
        overridden = api_base != REAL_API_BASE_URL
        values["oauth_base_url"] = api_base if overridden else REAL_OAUTH_BASE_URL
        values["public_base_url"] = url("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
        values["redis_url"] = text("REDIS_URL", "redis://127.0.0.1:6379/0")
        if not str(values["redis_url"]).startswith(("redis://", "rediss://", "unix://")):
            problems.append(f"REDIS_URL: expected redis://host:port/db, got {values['redis_url']!r}")
        values["redis_prefix"] = text("REDIS_PREFIX", "kp:")
        values["queue_name"] = text("RQ_QUEUE", "default")
        values["database_url"] = text("DATABASE_URL", f"sqlite:///{var_dir / 'app.db'}")
        try:
            make_url(str(values["database_url"]))
        except ArgumentError:
            problems.append(f"DATABASE_URL: not an SQLAlchemy URL such as postgresql+psycopg://host/db, "
                            f"got {values['database_url']!r}")
        values["knowledge_dir"] = Path(text("KNOWLEDGE_DIR", str(ROOT / "knowledge")) or "").resolve()
        values["index_dir"] = Path(text("INDEX_DIR", str(var_dir / "index")) or "").resolve()
        values["embedding_model"] = text("EMBEDDING_MODEL", "") or ""
        values["admin_token"] = text("ADMIN_TOKEN")
        values["secret_key"] = text("SECRET_KEY", "") or ""
        values["broadcast_rate"] = number("BROADCAST_RATE", 100.0)
        values["reply_deadline"] = number("REPLY_DEADLINE", 4.5)
        values["api_timeout"] = number("WECHAT_API_TIMEOUT", 5.0)
        values["log_level"] = (text("LOG_LEVEL", "INFO") or "INFO").upper()
        if values["log_level"] not in LOG_LEVELS:
            problems.append(f"LOG_LEVEL: one of {', '.join(LOG_LEVELS)}, got {values['log_level']!r}")
        values["pay"] = _pay_from_env(env, problems, sandbox, sandbox_port)
        if not Path(str(values["knowledge_dir"])).is_dir():
            problems.append(f"KNOWLEDGE_DIR: {values['knowledge_dir']} is not a directory")
        if problems:
            raise ConfigError(problems)
        return cls(**values)  # type: ignore[arg-type]


PAY_VARS = (
    "WECHAT_PAY_MCH_ID",
    "WECHAT_PAY_PRIVATE_KEY",
    "WECHAT_PAY_CERT_SERIAL",
    "WECHAT_PAY_APIV3_KEY",
    "WECHAT_PAY_PUBLIC_KEY",
    "WECHAT_PAY_PUBLIC_KEY_ID",
)


def _is_http_url(raw: str) -> bool:
    parts = urlsplit(raw)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _pay_from_env(
    env: Mapping[str, str], problems: list[str], sandbox: bool, sandbox_port: int
) -> PaySettings | None:
    given = {name: env.get(name, "").strip() for name in PAY_VARS}
    if not any(given.values()):
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        problems.append("WeChat Pay needs all of " + ", ".join(PAY_VARS) + "; missing " + ", ".join(missing))
        return None
    for name in ("WECHAT_PAY_PRIVATE_KEY", "WECHAT_PAY_PUBLIC_KEY"):
        if not Path(given[name]).is_file():
            problems.append(f"{name}: no PEM file at {given[name]}")
    if len(given["WECHAT_PAY_APIV3_KEY"].encode()) != 32:
        problems.append("WECHAT_PAY_APIV3_KEY: must be 32 bytes")
    default_base = f"http://127.0.0.1:{sandbox_port}" if sandbox else REAL_PAY_API_BASE_URL
    base = env.get("WECHAT_PAY_API_BASE_URL", "").strip().rstrip("/") or default_base
    if not _is_http_url(base):
        problems.append(f"WECHAT_PAY_API_BASE_URL: expected an http(s) URL, got {base!r}")
    return PaySettings(
        mch_id=given["WECHAT_PAY_MCH_ID"],
        private_key_path=Path(given["WECHAT_PAY_PRIVATE_KEY"]),
        cert_serial=given["WECHAT_PAY_CERT_SERIAL"],
        apiv3_key=given["WECHAT_PAY_APIV3_KEY"],
        public_key_path=Path(given["WECHAT_PAY_PUBLIC_KEY"]),
        public_key_id=given["WECHAT_PAY_PUBLIC_KEY_ID"],
        api_base_url=base,
    )


def _valid_aes_key(key: str) -> bool:
    if len(key) != 43:
        return False
    try:
        return len(base64.b64decode(key + "=", validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def _persistent_secret(var_dir: Path) -> str:
    """A random signing key kept under var/, so every process of one install shares it."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
