"""Endpoint groups wechatpy lacks, as small BaseWeChatAPI classes."""

from bot.wechat_api.template import TemplateMessageAPI

__all__ = ["TemplateMessageAPI"]
