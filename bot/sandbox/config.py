"""Settings of one sandbox instance: the fake account's credentials, Pay keys and timings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.sandbox.keys import DevKeys

DEFAULT_OPENID = "oSANDBOX0000000000000default"


@dataclass(frozen=True)
class SandboxConfig:
    """Everything a sandbox needs; build it directly or with `from_dev_keys`."""

    apiv3_key: str
    platform_private_key_pem: bytes
    platform_public_key_id: str
    app_id: str = "wxsandbox0000000"
    app_secret: str = "sandbox-secret"
    mch_id: str = "1900000001"
    merchant_public_key_pem: bytes | None = None
    notify_retry_delays: tuple[float, ...] = (2, 5, 15, 30)
    token_ttl: int = 7200
    oauth_code_ttl: int = 300
    client_msg_id_window: float = 600.0
    default_openid: str = DEFAULT_OPENID
    initial_openids: tuple[str, ...] = ()
    callback_url: str | None = None
    callback_token: str | None = None
    account_id: str = "gh_sandbox000000"
    calls_limit: int = 200_000
    notify_timeout: float = 5.0

    def __post_init__(self) -> None:
        if len(self.apiv3_key.encode()) != 32:
            raise ValueError("apiv3_key must be 32 bytes")
        if not self.platform_public_key_id:
            raise ValueError("platform_public_key_id is required")

    @classmethod
    def from_dev_keys(cls, keys: DevKeys, *, verify_requests: bool = True, **overrides: Any) -> SandboxConfig:
        """A config using the keys made by `ensure_dev_keys`; merchant signatures are checked unless told not to."""
        values: dict[str, Any] = {
            "apiv3_key": keys.apiv3_key,
            "platform_private_key_pem": keys.platform_private_key_pem,
            "platform_public_key_id": keys.platform_public_key_id,
            "merchant_public_key_pem": keys.merchant_public_key_pem if verify_requests else None,
        }
        values.update(overrides)
        return cls(**values)
