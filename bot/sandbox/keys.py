"""Development key material for WeChat Pay: merchant key, platform key pair and APIv3 key, created once."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

MERCHANT_KEY_FILE = "apiclient_key.pem"
MERCHANT_PUBLIC_FILE = "apiclient_pub.pem"
PLATFORM_KEY_FILE = "platform_key.pem"
PLATFORM_PUBLIC_FILE = "pub_key.pem"
META_FILE = "keys.json"
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class DevKeys:
    """Paths and values of the development keys in one directory."""

    directory: Path
    merchant_private_key_path: Path
    merchant_public_key_path: Path
    merchant_cert_serial: str
    platform_private_key_path: Path
    platform_public_key_path: Path
    platform_public_key_id: str
    apiv3_key: str

    @property
    def merchant_private_key_pem(self) -> bytes:
        """The merchant's RSA private key (PKCS#8 PEM)."""
        return self.merchant_private_key_path.read_bytes()

    @property
    def merchant_public_key_pem(self) -> bytes:
        """The merchant's RSA public key, used by the sandbox to check request signatures."""
        return self.merchant_public_key_path.read_bytes()

    @property
    def platform_private_key_pem(self) -> bytes:
        """The platform's private key: the sandbox signs responses and notifies with it."""
        return self.platform_private_key_path.read_bytes()

    @property
    def platform_public_key_pem(self) -> bytes:
        """The platform's public key: the service verifies WeChat Pay signatures with it."""
        return self.platform_public_key_path.read_bytes()

    def pay_env(self) -> dict[str, str]:
        """The WECHAT_PAY_* key variables the service needs to talk to a sandbox using these keys."""
        return {
            "WECHAT_PAY_PRIVATE_KEY": str(self.merchant_private_key_path),
            "WECHAT_PAY_CERT_SERIAL": self.merchant_cert_serial,
            "WECHAT_PAY_APIV3_KEY": self.apiv3_key,
            "WECHAT_PAY_PUBLIC_KEY": str(self.platform_public_key_path),
            "WECHAT_PAY_PUBLIC_KEY_ID": self.platform_public_key_id,
        }


def _new_private_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem_of(private_pem: bytes) -> bytes:
    """Return the SubjectPublicKeyInfo PEM of a PEM private key."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _keys_of(directory: Path, meta: dict[str, str]) -> DevKeys:
    return DevKeys(
        directory=directory,
        merchant_private_key_path=directory / MERCHANT_KEY_FILE,
        merchant_public_key_path=directory / MERCHANT_PUBLIC_FILE,
        merchant_cert_serial=meta["merchant_cert_serial"],
        platform_private_key_path=directory / PLATFORM_KEY_FILE,
        platform_public_key_path=directory / PLATFORM_PUBLIC_FILE,
        platform_public_key_id=meta["platform_public_key_id"],
        apiv3_key=meta["apiv3_key"],
    )


def _complete(directory: Path) -> dict[str, str] | None:
    files = (
        MERCHANT_KEY_FILE,
        MERCHANT_PUBLIC_FILE,
        PLATFORM_KEY_FILE,
        PLATFORM_PUBLIC_FILE,
        META_FILE,
    )
    if not all((directory / name).is_file() for name in files):
        return None
    meta = json.loads((directory / META_FILE).read_text("utf-8"))
    needed = ("merchant_cert_serial", "platform_public_key_id", "apiv3_key")
    return meta if all(isinstance(meta.get(k), str) and meta[k] for k in needed) else None


def ensure_dev_keys(directory: str | os.PathLike[str]) -> DevKeys:
    """Create the development keys in `directory` on first use, then return the same ones every time."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            meta = _complete(path)
            if meta is None:
                merchant = _new_private_key_pem()
                platform = _new_private_key_pem()
                meta = {
                    "merchant_cert_serial": secrets.token_hex(20).upper(),
                    "platform_public_key_id": "PUB_KEY_ID_" + secrets.token_hex(16).upper(),
                    "apiv3_key": "".join(secrets.choice(_ALPHABET) for _ in range(32)),
                }
                _write(path / MERCHANT_KEY_FILE, merchant)
                _write(path / MERCHANT_PUBLIC_FILE, public_pem_of(merchant), 0o644)
                _write(path / PLATFORM_KEY_FILE, platform)
                _write(path / PLATFORM_PUBLIC_FILE, public_pem_of(platform), 0o644)
                _write(path / META_FILE, json.dumps(meta, indent=2).encode())
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return _keys_of(path, meta)
