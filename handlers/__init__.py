"""Everything a subscriber can do, as one ordered routing table (first match wins, top to bottom)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers import choice, events, fallback, faq, media, menu, purchase, recommend

Route = tuple[str, Callable[..., Any], Callable[..., Any]]
TEXT = ("text", "voice")


def _routes_for(kinds: tuple[str, ...], matcher: Callable[..., Any], adapter: Callable[..., Any]) -> tuple[Route, ...]:
    return tuple((kind, matcher, adapter) for kind in kinds)


ROUTES: tuple[Route, ...] = (
    ("subscribe_event", fallback.always, events.on_subscribe),
    ("unsubscribe_event", fallback.always, events.on_unsubscribe),
    ("scan_event", fallback.always, events.on_scan),
    ("click_event", menu.is_recommend, recommend.on_menu),
    ("click_event", menu.is_purchases, menu.on_purchases),
    ("click_event", menu.is_help, menu.on_help),
    ("click_event", menu.faq_key, menu.on_faq_click),
    ("click_event", menu.button_name, menu.on_named),
    ("click_event", fallback.always, fallback.on_message),
    ("view_event", fallback.always, events.on_view),
    ("templatesendjobfinish_event", fallback.always, events.on_job_finished),
    ("masssendjobfinish_event", fallback.always, events.on_job_finished),
    *_routes_for(TEXT, choice.picked, choice.on_text),
    *_routes_for(TEXT, choice.declined, choice.on_declined),
    *_routes_for(TEXT, purchase.matches, purchase.on_text),
    *_routes_for(TEXT, recommend.matches, recommend.on_text),
    *_routes_for(TEXT, faq.matches, faq.on_text),
    *_routes_for(TEXT, fallback.always, fallback.on_message),
    *_routes_for(("image", "video", "shortvideo", "location", "link"), fallback.always, media.on_media),
)

__all__ = ["ROUTES", "Route"]
