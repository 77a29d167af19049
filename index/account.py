"""Defaults for account.yaml: what the account says when the operator has not said otherwise."""

from __future__ import annotations

import copy
from typing import Any

from index.model import Account

DEFAULT_NAME = "知识小助手"
DEFAULT_WELCOME = (
    "欢迎关注！直接发消息问我购买、退款、会员、发票等问题，"
    "或者发「推荐」+ 你想学的主题，我来帮你找合适的文章和课程。"
)
DEFAULT_FALLBACK = (
    "抱歉，这个问题我暂时回答不了。你可以换个说法问购买、退款、会员、课程学习等问题，"
    "或者发「推荐」+ 主题找文章和课程；需要人工帮助请回复「客服」。"
)
DEFAULT_NO_CONTENT = "暂时还没有这个主题的内容，我们已经记下了。你可以发「推荐」看看其他文章和课程。"
DEFAULT_MEDIA_REPLY = (
    "收到啦！我目前只能看懂文字消息：可以直接用文字问我购买、退款、会员等问题，"
    "或者发「推荐」+ 主题找文章和课程。"
)
DEFAULT_MENU: dict[str, Any] = {
    "button": [
        {"type": "click", "name": "推荐内容", "key": "RECOMMEND"},
        {"type": "click", "name": "我的已购", "key": "MY_PURCHASES"},
        {"type": "click", "name": "常见问题", "key": "HELP"},
    ]
}
DEFAULT_TEMPLATES: dict[str, str] = {"purchase": "", "course_update": "", "promotion": ""}

TEXT_FIELDS = ("name", "welcome", "fallback", "no_content", "media_reply")


def default_account() -> Account:
    """The account used when a KB has no account.yaml."""
    return Account(
        name=DEFAULT_NAME,
        welcome=DEFAULT_WELCOME,
        fallback=DEFAULT_FALLBACK,
        no_content=DEFAULT_NO_CONTENT,
        media_reply=DEFAULT_MEDIA_REPLY,
        menu=copy.deepcopy(DEFAULT_MENU),
        templates=dict(DEFAULT_TEMPLATES),
    )


def account_from_mapping(data: dict[str, Any]) -> Account:
    """Defaults overridden by the (already checked) fields of account.yaml."""
    base = default_account()
    texts = {f: str(data[f]).strip() for f in TEXT_FIELDS if data.get(f) is not None}
    menu = data.get("menu") if isinstance(data.get("menu"), dict) else base.menu
    templates = dict(base.templates)
    if isinstance(data.get("templates"), dict):
        templates.update({str(k): str(v) for k, v in data["templates"].items()})
    return Account(
        name=texts.get("name", base.name),
        welcome=texts.get("welcome", base.welcome),
        fallback=texts.get("fallback", base.fallback),
        no_content=texts.get("no_content", base.no_content),
        media_reply=texts.get("media_reply", base.media_reply),
        menu=menu,
        templates=templates,
    )
