"""`python -m bot chat`: a subscriber in the terminal, talking to the callback and reading later messages."""

from __future__ import annotations

import re
import threading
import time

import click
import requests

from bot.config import Settings
from bot.wire import Signer, event_message, text_message

TAG = re.compile(r"<a href=\"([^\"]+)\">([^<]*)</a>")


def show(text: str) -> str:
    """Chat text with links shown as `title <url>`."""
    return TAG.sub(lambda m: f"{m.group(2)} <{m.group(1)}>", text)


def render(reply: dict[str, object] | None) -> str:
    """A reply dict as terminal text."""
    if reply is None:
        return "(no reply)"
    if reply.get("MsgType") == "text":
        return show(str(reply.get("Content", "")))
    if reply.get("MsgType") == "news":
        articles = reply.get("Articles", {})
        item = articles.get("item", {}) if isinstance(articles, dict) else {}
        return f"[图文] {item.get('Title', '')} <{item.get('Url', '')}>"
    return f"[{reply.get('MsgType')}]"


def run_chat(settings: Settings, url: str, sandbox_url: str, openid: str) -> None:
    """Send a subscribe event, then each typed line; print replies and later customer-service messages."""
    signer = Signer(settings.wechat_token, settings.aes_key, settings.app_id)
    mode = "safe" if settings.aes_key else "plain"
    http = requests.Session()

    def send(fields: dict[str, object]) -> None:
        query, body = signer.request(fields, mode)
        try:
            response = http.post(f"{url}?{query}", data=body, timeout=10)
        except requests.RequestException as exc:
            click.echo(f"! callback unreachable: {exc}")
            return
        if response.status_code != 200:
            click.echo(f"! HTTP {response.status_code}: {response.text[:200]}")
            return
        click.echo("account> " + render(signer.read_reply(response.content)))

    stop = threading.Event()
    threading.Thread(target=_follow_sandbox, args=(http, sandbox_url, openid, stop), daemon=True).start()
    send(event_message(openid, "subscribe"))
    click.echo("(type a message; Ctrl-D to quit)")
    try:
        while True:
            line = input("you> ").strip()
            if line:
                send(text_message(openid, line))
    except (EOFError, KeyboardInterrupt):
        click.echo()
    finally:
        stop.set()


def _follow_sandbox(http: requests.Session, sandbox_url: str, openid: str, stop: threading.Event) -> None:
    """Print messages the platform delivered to this subscriber after the fact (customer-service, template)."""
    seen: int | None = None
    while not stop.wait(1.0):
        try:
            messages = http.get(f"{sandbox_url}/sandbox/messages", params={"openid": openid}, timeout=3).json()
        except (requests.RequestException, ValueError):
            continue
        items = messages.get("messages", messages) if isinstance(messages, dict) else messages
        if seen is None:
            seen = len(items)
            continue
        for message in items[seen:]:
            click.echo(f"\naccount (later)> {show(_describe(message))}\nyou> ", nl=False)
        seen = len(items)
        time.sleep(0)


def _describe(message: dict[str, object]) -> str:
    content = message.get("content") or message.get("text")
    if content:
        return str(content)
    return str(message.get("data") or message)
