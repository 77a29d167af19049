"""Menu clicks: RECOMMEND recommends, MY_PURCHASES lists what was bought, HELP lists common questions, a key
naming an FAQ entry answers it, and any other key is read as its button's name typed as a message."""

from __future__ import annotations

from itertools import chain, zip_longest
from typing import Any

from bot.deps import Deps
from bot.replies import TEXT_MAX_BYTES, Reply
from handlers import fallback, faq, recommend, signals
from handlers.common import item_url, link, numbered

RECOMMEND_KEY = "RECOMMEND"
PURCHASES_KEY = "MY_PURCHASES"
HELP_KEY = "HELP"
HELP_QUESTIONS = 9      # a number reply picks one of 1-9
PURCHASES_HEAD = "你已购买的内容（点标题阅读）："
PURCHASES_TAIL = "还有 {n} 篇未列出，可以发「买 + 标题」找到它们。"
NOTHING_BOUGHT = "你还没有购买过文章或课程。点「推荐内容」或发「推荐」+ 主题，看看适合你的内容。"
HELP_HEAD = "常见问题（回复数字查看答案，也可以直接发文字问我）："


def _key(message: Any) -> str:
    return (message.key or "").strip()


def is_recommend(deps: Deps, message: Any) -> bool:
    """Matcher: the RECOMMEND menu button."""
    return _key(message).upper() == RECOMMEND_KEY


def is_purchases(deps: Deps, message: Any) -> bool:
    """Matcher: the MY_PURCHASES menu button."""
    return _key(message).upper() == PURCHASES_KEY


def is_help(deps: Deps, message: Any) -> bool:
    """Matcher: the HELP menu button."""
    return _key(message).upper() == HELP_KEY


def faq_key(deps: Deps, message: Any) -> str | None:
    """Matcher: a click whose key is an FAQ id (case-insensitive)."""
    key = _key(message).lower()
    return key if key in deps.knowledge.engine.kb.faqs else None


def button_name(deps: Deps, message: Any) -> str | None:
    """Matcher: the name of the account menu's click button with this key, read as what the subscriber asks."""
    buttons = deps.knowledge.engine.kb.account.menu.get("button", [])
    for button in chain.from_iterable([b, *b.get("sub_button", [])] for b in buttons if isinstance(b, dict)):
        if isinstance(button, dict) and button.get("key") == _key(message) and button.get("name"):
            return str(button["name"])
    return None


def on_faq_click(deps: Deps, message: Any, faq_id: str) -> Reply:
    """Chat adapter."""
    return faq.answer(deps, faq_id)


def on_purchases(deps: Deps, message: Any, _match: Any) -> Reply:
    """The subscriber's purchases as reading links (a number picks one), as many as a text reply holds."""
    kb = deps.knowledge.engine.kb
    owned = signals.bought_items(deps, message.source)
    ids = [item_id for item_id in kb.items if item_id in owned]
    if not ids:
        return Reply.of_text(NOTHING_BOUGHT, kind="purchases", item_ids=[])
    links = [link(item_url(deps, i, message.source), kb.items[i].title) for i in ids]

    def shelf(n: int) -> str:
        tail = [PURCHASES_TAIL.format(n=len(ids) - n)] if n < len(ids) else []
        return "\n".join([PURCHASES_HEAD, numbered(links[:n]), *tail])

    n = len(ids)
    while n > 1 and len(shelf(n).encode()) > TEXT_MAX_BYTES:
        n -= 1
    deps.chat.offer(message.source, "items", ids[:n])
    return Reply.of_text(shelf(n), kind="purchases", item_ids=ids[:n])


def on_help(deps: Deps, message: Any, _match: Any) -> Reply:
    """Common questions, numbered: the first of each FAQ file, then the second of each, and so on."""
    kb = deps.knowledge.engine.kb
    by_file: dict[str, list[str]] = {}
    for faq_id in kb.faqs:
        by_file.setdefault(kb.sources.get(faq_id, "").split(":")[0], []).append(faq_id)
    ids = [i for row in zip_longest(*by_file.values()) for i in row if i][:HELP_QUESTIONS]
    deps.chat.offer(message.source, "faq", ids)
    text = "\n".join([HELP_HEAD, numbered([kb.faqs[i].question for i in ids])])
    return Reply.of_text(text, kind="help", candidates=ids)


def on_named(deps: Deps, message: Any, name: str) -> Reply:
    """A button the service has no action for: its name, as if typed, gets what that message would."""
    reading = deps.knowledge.engine.understand(name)
    if reading.kind == "faq":
        return faq.answer(deps, reading.faq_id, message.source)
    if reading.kind == "clarify":
        return faq.clarify(deps, message.source, list(reading.candidates))
    if reading.kind == "recommend":
        return recommend.recommend(deps, message.source, list(reading.items), reading.topic)
    return fallback.fallback(deps)
