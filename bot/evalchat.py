"""Evaluation through the real callback: signed messages in, replies read back as outcomes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import requests

from bot.wire import Signer, text_message
from index.evaluate import Outcome

LINK = re.compile(r'<a href="[^"]*/articles/([^"?/]+)[^"]*">')
NUMBERED = re.compile(r"^\s*[1-3][.、)]\s*(.+?)\s*$")


def reply_outcome(content: str, kb: Any) -> Outcome:
    """Classify a reply text the way a subscriber would see it: an FAQ answer (perhaps with a related
    item's link after it), an item list, a clarifying question, "no such content" or the fallback."""
    items = LINK.findall(content)
    for fid, entry in kb.faqs.items():
        if entry.reply_text and entry.reply_text in content:
            return Outcome("faq", fid, [fid], item_ids=items[:5])
    if items:
        return Outcome("items", item_ids=items[:5])
    by_question = {f.question: fid for fid, f in kb.faqs.items()}
    candidates = [by_question[m.group(1)] for line in content.splitlines()
                  if (m := NUMBERED.match(line)) and m.group(1) in by_question]
    if candidates:
        return Outcome("clarify", None, candidates)
    if content.strip().startswith(kb.account.no_content.strip()):
        return Outcome("no_content")
    return Outcome("fallback")


def signed_respond(post: Callable[[str, bytes], tuple[int, bytes]], signer: Signer, kb: Any,
                   subscriber: str | None = None) -> Callable[[str], Outcome]:
    """Each query signed (and encrypted in safe mode when there is an AES key) and handed to post(query,
    body) -> (status, body), as a fresh subscriber or all as `subscriber`; the reply read back as an Outcome."""

    def respond(text: str) -> Outcome:
        query, body = signer.request(text_message(subscriber or f"o-eval-{uuid.uuid4().hex[:12]}", text),
                                     "safe" if signer.aes_key else "plain")
        status, data = post(query, body)
        reply = signer.read_reply(data) if status == 200 else None
        if not reply or reply.get("MsgType") != "text":
            return Outcome("fallback")
        return reply_outcome(str(reply.get("Content", "")), kb)

    return respond


def callback_respond(app: Any, signer: Signer, subscriber: str | None = None) -> Callable[[str], Outcome]:
    """Queries posted to the app's /wechat in process (Flask test client)."""
    client = app.test_client()

    def post(query: str, body: bytes) -> tuple[int, bytes]:
        response = client.post(f"/wechat?{query}", data=body)
        return response.status_code, response.data

    return signed_respond(post, signer, app.extensions["deps"].knowledge.engine.kb, subscriber)


def http_respond(url: str, signer: Signer, kb: Any, subscriber: str | None = None,
                 timeout: float = 10.0) -> Callable[[str], Outcome]:
    """Queries posted over HTTP to a running service's callback URL (e.g. http://127.0.0.1:8000/wechat)."""
    http = requests.Session()

    def post(query: str, body: bytes) -> tuple[int, bytes]:
        response = http.post(f"{url}?{query}", data=body, headers={"Content-Type": "text/xml"}, timeout=timeout)
        return response.status_code, response.content

    return signed_respond(post, signer, kb, subscriber)
