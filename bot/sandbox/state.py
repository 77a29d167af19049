"""The sandbox's in-memory world behind one lock: tokens, subscribers, deliveries, orders, calls, faults."""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.config import SandboxConfig
from bot.sandbox.faults import Fault

OLD_TOKEN_GRACE = 300
FOLLOWERS_PAGE = 10_000


@dataclass(slots=True)
class User:
    """One follower of the account."""

    openid: str
    subscribed: bool
    subscribe_time: int
    tags: list[int] = field(default_factory=list)
    remark: str = ""


@dataclass(slots=True)
class OAuthCode:
    """An unused OAuth code and whom it logs in."""

    openid: str
    scope: str
    expires_at: float


class State:
    """All sandbox data; every read or write of it happens with `lock` held."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.rng = random.Random()
        self.generation = 0
        self.faults: list[Fault] = []
        self._clear()

    def _clear(self) -> None:
        self.tokens: dict[str, float] = {}
        self.current_token: str | None = None
        self.stable_token: str | None = None
        self.users: dict[str, User] = {}
        self.follow_order: list[str] = []
        self.follow_pos: dict[str, int] = {}
        self.subscriber_count = 0
        self.seed_counter = 0
        self.tags: dict[int, str] = {}
        self.tag_ids: dict[str, int] = {}
        self.next_tag_id = 100
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.template_counts: dict[str, Counter[str]] = {}
        self.kind_counts: Counter[str] = Counter()
        self.delivery_seq = 0
        self.client_msg_ids: dict[tuple[str, str], tuple[int, float]] = {}
        self.mass_ids: dict[str, tuple[int, float]] = {}
        self.next_msgid = 1_000_000_000 + self.rng.randrange(1_000_000)
        self.menu: dict[str, Any] | None = None
        self.oauth_codes: dict[str, OAuthCode] = {}
        self.sns_tokens: dict[str, str] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.notifies: list[dict[str, Any]] = []
        self.calls: deque[dict[str, Any]] = deque(maxlen=self.config.calls_limit)
        self.call_seq = 0
        self.fault_seq = 0
        self.subscribe(self.config.initial_openids)

    def reset(self) -> None:
        """Forget everything, cancel pending notify retries, and re-seed the configured subscribers."""
        with self.lock:
            self.generation += 1
            self.faults = []
            self._clear()

    # tokens ---------------------------------------------------------------
    def issue_token(self) -> str:
        """A new /cgi-bin/token token; the previous one stays valid for at most 5 more minutes."""
        now = time.time()
        token = secrets.token_urlsafe(96)[:128]
        if self.current_token in self.tokens:
            self.tokens[self.current_token] = min(self.tokens[self.current_token], now + OLD_TOKEN_GRACE)
        self.tokens[token] = now + self.config.token_ttl
        self.current_token = token
        return token

    def issue_stable_token(self, force_refresh: bool) -> tuple[str, int]:
        """The stable token: the same one while valid, a new one (old one revoked) when forced or expired."""
        now = time.time()
        old = self.stable_token
        if old is not None and not force_refresh and self.tokens.get(old, 0) > now:
            return old, int(self.tokens[old] - now)
        if old is not None:
            self.tokens.pop(old, None)
        token = secrets.token_urlsafe(96)[:128]
        self.tokens[token] = now + self.config.token_ttl
        self.stable_token = token
        return token, self.config.token_ttl

    def token_error(self, token: str | None) -> int:
        """0 for a valid access token, else the platform's error code for it."""
        if not token:
            return 41001
        expires_at = self.tokens.get(token)
        if expires_at is None:
            return 40001
        return 0 if expires_at > time.time() else 42001

    # subscribers ------------------------------------------------------------
    def tag_id(self, name: str) -> int:
        """The id of a tag, created on first use."""
        if name not in self.tag_ids:
            self.tag_ids[name] = self.next_tag_id
            self.tags[self.next_tag_id] = name
            self.next_tag_id += 1
        return self.tag_ids[name]

    def subscribe(self, openids: list[str] | tuple[str, ...], tags: list[int] | None = None) -> int:
        """Make these openids current subscribers (new ones go to the end of the follower list)."""
        now = int(time.time())
        added = 0
        for openid in openids:
            user = self.users.get(openid)
            if user is None:
                user = User(openid, True, now, list(tags or ()))
                self.users[openid] = user
                self.follow_pos[openid] = len(self.follow_order)
                self.follow_order.append(openid)
                self.subscriber_count += 1
                added += 1
                continue
            if not user.subscribed:
                user.subscribed = True
                user.subscribe_time = now
                self.subscriber_count += 1
                added += 1
            for tag in tags or ():
                if tag not in user.tags:
                    user.tags.append(tag)
        return added

    def seed(self, count: int, prefix: str, tags: list[int]) -> list[str]:
        """Create `count` new subscribers with 28-character openids starting with `prefix`."""
        width = max(28 - len(prefix), 6)
        openids = []
        for _ in range(count):
            while True:
                self.seed_counter += 1
                openid = f"{prefix}{self.seed_counter:0{width}d}"
                if openid not in self.users:
                    break
            openids.append(openid)
        self.subscribe(openids, tags)
        return openids

    def unsubscribe(self, openid: str) -> bool:
        """Mark a subscriber as gone; False when the openid is unknown."""
        user = self.users.get(openid)
        if user is None:
            return False
        if user.subscribed:
            user.subscribed = False
            self.subscriber_count -= 1
        user.tags = []
        return True

    def is_subscriber(self, openid: str) -> bool:
        """True when the openid currently follows the account."""
        user = self.users.get(openid)
        return user is not None and user.subscribed

    def followers_page(self, next_openid: str) -> tuple[list[str], str] | None:
        """One user/get page after `next_openid` and the page's last openid; None for an unknown openid."""
        if next_openid:
            pos = self.follow_pos.get(next_openid)
            if pos is None:
                return None
            start = pos + 1
        else:
            start = 0
        page: list[str] = []
        order, users = self.follow_order, self.users
        i = start
        while i < len(order) and len(page) < FOLLOWERS_PAGE:
            if users[order[i]].subscribed:
                page.append(order[i])
            i += 1
        return page, (page[-1] if page else "")

    # deliveries -------------------------------------------------------------
    def new_msgid(self) -> int:
        """A fresh platform message id."""
        self.next_msgid += self.rng.randrange(1, 97)
        return self.next_msgid

    def deliver(self, openid: str, record: dict[str, Any]) -> None:
        """Record a message that reached `openid`."""
        record.setdefault("time", time.time())
        record["openid"] = openid
        self.delivery_seq += 1
        record["seq"] = self.delivery_seq
        self.messages.setdefault(openid, []).append(record)
        self.kind_counts[record["kind"]] += 1
        template_id = record.get("template_id")
        if record["kind"] == "template" and isinstance(template_id, str):
            self.template_counts.setdefault(template_id, Counter())[openid] += 1

    def record_call(self, call: dict[str, Any]) -> None:
        """Append one received API call to the log."""
        self.call_seq += 1
        call["seq"] = self.call_seq
        self.calls.append(call)
