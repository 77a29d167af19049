"""Endpoint groups wechatpy lacks, as small BaseWeChatAPI classes."""

from bot.wechat_api.mass import MassMessageAPI
from bot.wechat_api.template import TemplateMessageAPI

__all__ = ["MassMessageAPI", "TemplateMessageAPI"]
