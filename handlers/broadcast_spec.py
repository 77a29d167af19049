"""A broadcast request checked field by field: every problem becomes one clear 422 message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.deps import Deps
from bot.errors import Unprocessable
from handlers.broadcast_audience import KINDS, MAX_OPENIDS

FIELDS = {"name", "kind", "template_id", "data", "url", "article_id", "audience", "schedule_at"}
TEMPLATE_VALUE_LIMIT = 20
DATA_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,63}$")
MASS_CONTENT = ("text", "media_id")
PAST_GRACE = timedelta(minutes=1)
FUTURE_LIMIT = timedelta(days=366)     # a time further ahead is a typo (9999-12-31), not a plan
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
MAX_DATA_FIELDS = 32                   # template messages have a handful of fields


@dataclass(frozen=True)
class Spec:
    """A valid broadcast, ready to store."""

    name: str
    kind: str
    template_id: str | None
    data: dict[str, Any]
    url: str | None
    article_id: str | None
    audience: dict[str, Any]
    schedule_at: datetime | None


def _fail(message: str) -> Unprocessable:
    return Unprocessable(message)


def parse(deps: Deps, body: object) -> Spec:
    """Check a create request; raise Unprocessable naming the first bad field."""
    if not isinstance(body, dict):
        raise _fail("expected a JSON object")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise _fail(f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(FIELDS))}")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 128:
        raise _fail("name: required, a non-empty string of at most 128 characters")
    kind = body.get("kind", "template")
    if kind not in ("template", "mass"):
        raise _fail("kind: 'template' (default) or 'mass'")
    url, article_id = _link(deps, body)
    audience = _audience(deps, body.get("audience"), kind)
    if kind == "template":
        template_id = _template_id(deps, body.get("template_id"))
        data = template_data(body.get("data"))
    else:
        if body.get("template_id") is not None:
            raise _fail("template_id: not used by kind 'mass'")
        template_id, data = None, _mass_data(body.get("data"))
    return Spec(name.strip(), kind, template_id, data, url, article_id, audience, _schedule(body.get("schedule_at")))


def _template_id(deps: Deps, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail("template_id: required for template broadcasts")
    templates = deps.knowledge.engine.kb.account.templates
    return templates.get(value) or value.strip()


def template_data(value: object) -> dict[str, Any]:
    """Template fields as the platform wants them: {key: {"value": text ≤ 20 chars, "color"?}}."""
    if not isinstance(value, dict) or not value:
        raise _fail("data: required, an object of template fields such as {\"thing1\": {\"value\": \"...\"}}")
    if len(value) > MAX_DATA_FIELDS:
        raise _fail(f"data: {len(value)} fields; a template has at most {MAX_DATA_FIELDS}")
    fields: dict[str, Any] = {}
    for key, item in value.items():
        if not DATA_KEY.match(str(key)):
            raise _fail(f"data.{key}: not a template field name")
        entry = {"value": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
            raise _fail(f"data.{key}: expected a string or {{\"value\": string}}")
        extra = sorted(set(entry) - {"value", "color"})
        if extra:
            raise _fail(f"data.{key}: unknown field(s) {', '.join(extra)}")
        if "color" in entry and not (isinstance(entry["color"], str) and COLOR.match(entry["color"])):
            raise _fail(f"data.{key}.color: a colour such as #173177")
        if len(entry["value"]) > TEMPLATE_VALUE_LIMIT:
            raise _fail(
                f"data.{key}.value has {len(entry['value'])} characters; "
                f"template values may have at most {TEMPLATE_VALUE_LIMIT}"
            )
        fields[str(key)] = {k: entry[k] for k in ("value", "color") if k in entry}
    return fields


def _mass_data(value: object) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in MASS_CONTENT:
        raise _fail("data: a mass broadcast carries {\"text\": \"...\"} or {\"media_id\": \"<mpnews media id>\"}")
    content = next(iter(value.values()))
    if not isinstance(content, str) or not content.strip():
        raise _fail("data: the text or media_id must be a non-empty string")
    return dict(value)


def _link(deps: Deps, body: dict[str, Any]) -> tuple[str | None, str | None]:
    url, article_id = body.get("url"), body.get("article_id")
    if url is not None and article_id is not None:
        raise _fail("give url or article_id, not both")
    if url is not None:
        if not isinstance(url, str) or not re.match(r"^https?://[^/\s?#]+\S*$", url) or len(url) > 1024:
            raise _fail("url: an http(s) URL of at most 1024 characters")
        return url, None
    if article_id is None:
        return None, None
    if not isinstance(article_id, str) or article_id not in deps.knowledge.engine.kb.items:
        raise _fail(f"article_id: no article or course {article_id!r} in the knowledge base")
    return f"{deps.settings.public_base_url}/articles/{article_id}", article_id


def _audience(deps: Deps, value: object, kind: str) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in KINDS:
        raise _fail("audience: exactly one of {\"all\": true}, {\"tag\": ...}, {\"bought\": item id}, "
                    "{\"interest\": KB tag}, {\"openids\": [...]}")
    key, target = next(iter(value.items()))
    if kind == "mass" and key not in ("all", "tag"):
        raise _fail("audience: a mass broadcast goes to {\"all\": true} or one {\"tag\": ...}")
    if key == "all" and target is not True:
        raise _fail("audience.all: must be true")
    if key == "tag" and not ((isinstance(target, int) and not isinstance(target, bool))
                             or (isinstance(target, str) and target.strip())):
        raise _fail("audience.tag: a platform tag name or id")
    kb = deps.knowledge.engine.kb
    if key == "bought" and (not isinstance(target, str) or target not in kb.items):
        raise _fail(f"audience.bought: no article or course {target!r} in the knowledge base")
    if key == "interest":
        known = {t for item in kb.items.values() for t in item.tags} | {t for f in kb.faqs.values() for t in f.tags}
        if not isinstance(target, str) or target not in known:
            raise _fail(f"audience.interest: {target!r} is not a tag of the knowledge base")
    if key == "openids":
        if not isinstance(target, list) or not all(isinstance(o, str) and 0 < len(o) <= 64 for o in target):
            raise _fail("audience.openids: a list of openids")
        target = sorted(set(target))
        if not target:
            raise _fail("audience is empty: audience.openids lists nobody")
        if len(target) > MAX_OPENIDS:
            raise _fail(f"audience.openids: at most {MAX_OPENIDS} openids; use a tag for more")
    return {key: target}


def _schedule(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail("schedule_at: an ISO 8601 time such as 2026-12-01T09:00:00+08:00")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"schedule_at: {value!r} is not an ISO 8601 time such as 2026-12-01T09:00:00+08:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC).replace(tzinfo=None)
    now = datetime.now(UTC).replace(tzinfo=None)
    if when < now - PAST_GRACE:
        raise _fail(f"schedule_at: {value} is in the past")
    if when > now + FUTURE_LIMIT:
        raise _fail(f"schedule_at: {value} is more than {FUTURE_LIMIT.days} days ahead")
    return when
