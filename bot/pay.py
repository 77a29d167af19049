"""The WeChat Pay APIv3 client (wechatpayv3, platform-public-key mode), honouring WECHAT_PAY_API_BASE_URL."""

from __future__ import annotations

from wechatpayv3 import WeChatPay, WeChatPayType

from bot.config import Settings


def notify_url(settings: Settings) -> str:
    """Where WeChat Pay posts payment results."""
    return f"{settings.public_base_url}/pay/notify"


def make_pay_client(settings: Settings, kind: WeChatPayType = WeChatPayType.NATIVE) -> WeChatPay:
    """One wechatpayv3 client; JSAPI and Native orders share it (the type only picks the default endpoint)."""
    pay = settings.pay
    if pay is None:
        raise ValueError("WeChat Pay is not configured")
    client = WeChatPay(
        wechatpay_type=kind,
        mchid=pay.mch_id,
        private_key=pay.private_key_path.read_text(),
        cert_serial_no=pay.cert_serial,
        appid=settings.app_id,
        apiv3_key=pay.apiv3_key,
        notify_url=notify_url(settings),
        public_key=pay.public_key_path.read_text(),
        public_key_id=pay.public_key_id,
        timeout=(3, 10),
    )
    # wechatpayv3 has no host option; its gateway is this attribute of the core.
    client._core._gate_way = pay.api_base_url
    return client
