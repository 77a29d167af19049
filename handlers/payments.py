"""WeChat Pay notifies: verify the platform signature, decrypt the transaction, settle it, log every one."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Blueprint, Response, jsonify, request

from bot.deps import Deps
from handlers import ledger, refunds

log = logging.getLogger(__name__)
MAX_SKEW = 300
MAX_BODY = 65536
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
KEPT_HEADERS = ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial", "Wechatpay-Signature-Type",
                "Wechatpay-Signature", "Content-Type", "User-Agent")
STATUS = {"bad_signature": 401, "stale": 401, "malformed": 400, "undecryptable": 400, "wrong_merchant": 400,
          "wrong_amount": 400, "unknown_order": 404, "too_large": 413}


class Rejected(Exception):
    """A notify that cannot be trusted or read; `outcome` names why."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(detail)
        self.outcome, self.detail = outcome, detail


@dataclass(frozen=True)
class NotifyVerifier:
    """Checks Wechatpay-* signatures with the platform public key and opens AES-256-GCM resources."""

    public_key: rsa.RSAPublicKey
    public_key_id: str
    apiv3_key: bytes

    @classmethod
    def from_deps(cls, deps: Deps) -> NotifyVerifier | None:
        """The verifier for this merchant, or None when Pay is not configured."""
        pay = deps.settings.pay
        if pay is None:
            return None
        key = serialization.load_pem_public_key(pay.public_key_path.read_bytes())
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("WECHAT_PAY_PUBLIC_KEY is not an RSA public key")
        return cls(key, pay.public_key_id, pay.apiv3_key.encode())

    def verify(self, headers: Mapping[str, str], body: str, now: float | None = None) -> None:
        """Raise Rejected unless the headers sign this exact body recently with the platform key."""
        timestamp = headers.get("Wechatpay-Timestamp", "")
        nonce = headers.get("Wechatpay-Nonce", "")
        signature = headers.get("Wechatpay-Signature", "")
        if headers.get("Wechatpay-Signature-Type", SIGNATURE_TYPE) != SIGNATURE_TYPE:
            raise Rejected("bad_signature", "unsupported signature type")
        if not hmac.compare_digest(headers.get("Wechatpay-Serial", "").encode(), self.public_key_id.encode()):
            raise Rejected("bad_signature", "unknown platform key serial")
        if not (timestamp.isdigit() and nonce and signature):
            raise Rejected("bad_signature", "missing signature headers")
        if abs((time.time() if now is None else now) - int(timestamp)) > MAX_SKEW:
            raise Rejected("stale", "timestamp outside the 5 minute window")
        try:
            self.public_key.verify(base64.b64decode(signature, validate=True),
                                   f"{timestamp}\n{nonce}\n{body}\n".encode(), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error, ValueError) as exc:
            raise Rejected("bad_signature", "signature does not verify") from exc

    def open(self, body: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The envelope and its decrypted resource."""
        try:
            envelope = json.loads(body)
            resource = envelope["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise Rejected("malformed", "unsupported resource algorithm")
            plain = AESGCM(self.apiv3_key).decrypt(
                resource["nonce"].encode(), base64.b64decode(resource["ciphertext"], validate=True),
                (resource.get("associated_data") or "").encode(),
            )
            transaction = json.loads(plain)
        except Rejected:
            raise
        except InvalidTag as exc:
            raise Rejected("undecryptable", "resource does not decrypt with the APIv3 key") from exc
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, RecursionError) as exc:
            raise Rejected("malformed", f"unreadable notify: {type(exc).__name__}") from exc
        if not isinstance(envelope, dict) or not isinstance(transaction, dict):
            raise Rejected("malformed", "unreadable notify")
        return envelope, transaction


def receive(deps: Deps, verifier: NotifyVerifier | None, headers: Mapping[str, str], body: str) -> tuple[int, str]:
    """Handle one notify end to end; returns (HTTP status, outcome). Every notify is logged in payment_events."""
    kept = {name: headers[name][:512] for name in KEPT_HEADERS if name in headers}
    out_trade_no: str | None = None
    verified = False
    outcome, detail = "error", None
    try:
        if verifier is None:
            raise Rejected("unconfigured", "WeChat Pay is not configured")
        verifier.verify(headers, body)
        verified = True
        envelope, transaction = verifier.open(body)
        out_trade_no = transaction.get("out_trade_no") if isinstance(transaction.get("out_trade_no"), str) else None
        if str(envelope.get("event_type", "")).startswith("REFUND."):
            outcome = "refund" if refunds.record_notify(deps, transaction) else "unknown_refund"
            detail = f"event={envelope.get('event_type')} status={transaction.get('refund_status')}"
            return 204, outcome
        settlement = ledger.settle(deps, transaction)
        outcome = settlement.outcome
        detail = f"event={envelope.get('event_type')} state={transaction.get('trade_state')}"
        ledger.after(deps, settlement)
        return (204 if settlement.handled else STATUS.get(outcome, 400)), outcome
    except Rejected as exc:
        outcome, detail = exc.outcome, exc.detail
        log.warning("pay notify rejected: %s (%s)", exc.outcome, exc.detail)
        return STATUS.get(exc.outcome, 400), outcome
    finally:
        ledger.record_event(deps, out_trade_no=out_trade_no, verified=verified, outcome=outcome, detail=detail,
                            headers=kept, body=body)


def make_blueprint(deps: Deps) -> Blueprint:
    """`POST /pay/notify`: 204 when handled, 4xx JSON {code, message} so WeChat Pay retries otherwise."""
    bp = Blueprint("payments", __name__)
    verifier = NotifyVerifier.from_deps(deps)

    @bp.post("/pay/notify")
    def notify() -> Response | tuple[Response, int]:
        too_large = (request.content_length or 0) > MAX_BODY
        body = "" if too_large else request.get_data(cache=False, as_text=True)
        if too_large:
            ledger.record_event(deps, out_trade_no=None, verified=False, outcome="too_large", detail=None,
                                headers={}, body="")
            return jsonify(code="FAIL", message="too_large"), 413
        status, outcome = receive(deps, verifier, request.headers, body)
        if status < 300:
            return Response(status=204)
        return jsonify(code="FAIL", message=outcome), status

    return bp
