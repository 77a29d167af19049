"""WeChat Pay APIv3 cryptography: response and notify signatures, request checks, AES-GCM resources."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """Load an RSA private key from PEM."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("not an RSA private key")
    return key


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    """Load an RSA public key from PEM."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise TypeError("not an RSA public key")
    return key


def rsa_sign(key: rsa.RSAPrivateKey, message: str) -> str:
    """Base64 SHA256withRSA (PKCS#1 v1.5) signature of `message`."""
    raw = key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def rsa_verify(key: rsa.RSAPublicKey, message: str, signature: str) -> bool:
    """Check a base64 SHA256withRSA signature."""
    try:
        key.verify(
            base64.b64decode(signature),
            message.encode("utf-8"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def wechatpay_headers(key: rsa.RSAPrivateKey, key_id: str, body: str, at: float | None = None) -> dict[str, str]:
    """The Wechatpay-* headers that sign `body` the way WeChat Pay signs responses and notifies."""
    timestamp = str(int(time.time() if at is None else at))
    nonce = secrets.token_hex(16).upper()
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": rsa_sign(key, f"{timestamp}\n{nonce}\n{body}\n"),
        "Wechatpay-Serial": key_id,
        "Wechatpay-Signature-Type": SIGNATURE_TYPE,
    }


def parse_authorization(header: str) -> dict[str, str] | None:
    """Split a `WECHATPAY2-SHA256-RSA2048 k="v",…` Authorization header into its fields."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme != SIGNATURE_TYPE:
        return None
    fields = dict(_AUTH_FIELD.findall(rest))
    needed = ("mchid", "nonce_str", "signature", "timestamp", "serial_no")
    return fields if all(k in fields for k in needed) else None


def verify_request(key: rsa.RSAPublicKey, header: str, method: str, path_qs: str, body: str) -> dict[str, str] | None:
    """Return the Authorization fields when the merchant's request signature is valid, else None."""
    fields = parse_authorization(header)
    if fields is None:
        return None
    message = f"{method}\n{path_qs}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
    return fields if rsa_verify(key, message, fields["signature"]) else None


def encrypt_resource(apiv3_key: str, payload: dict[str, object], associated_data: str) -> dict[str, str]:
    """Encrypt a notify resource with AEAD_AES_256_GCM under the APIv3 key, as WeChat Pay does."""
    nonce = secrets.token_hex(6)
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ciphertext = AESGCM(apiv3_key.encode("utf-8")).encrypt(
        nonce.encode("utf-8"), plaintext, associated_data.encode("utf-8")
    )
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
        "associated_data": associated_data,
        "nonce": nonce,
    }
