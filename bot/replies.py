"""Reply values: what a handler answers, kept for retries, rendered as passive XML or a customer-service message."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from werobot.replies import ArticlesReply, SuccessReply, TextReply

TEXT_MAX_BYTES = 2047   # the longest text (UTF-8) the platform delivers whole in a reply


@dataclass(frozen=True)
class Article:
    """One news item (title, description, picture, link)."""

    title: str
    description: str
    url: str
    picurl: str = ""


@dataclass(frozen=True)
class Reply:
    """A reply: text, one news item, or plain `success` (nothing shown)."""

    kind: str = "success"
    text: str = ""
    articles: tuple[Article, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_text(cls, text: str, **meta: Any) -> Reply:
        """A text reply."""
        return cls(kind="text", text=text, meta=meta)

    @classmethod
    def of_news(cls, articles: list[Article], **meta: Any) -> Reply:
        """A news reply (the platform allows one item in a passive reply to a user message)."""
        return cls(kind="news", articles=tuple(articles), meta=meta)

    @classmethod
    def success(cls, **meta: Any) -> Reply:
        """The empty acknowledgement."""
        return cls(kind="success", meta=meta)

    def render(self, to_user: str, from_user: str, created: int) -> str:
        """The passive reply body (plaintext XML, or `success`)."""
        if self.kind == "text":
            return TextReply(target=to_user, source=from_user, time=created, content=self.text).render()
        if self.kind == "news":
            reply = ArticlesReply(target=to_user, source=from_user, time=created)
            for article in self.articles[:8]:
                reply.add_article(_werobot_article(article))
            return reply.render()
        return SuccessReply().render()

    def to_json(self) -> str:
        """Serialise for the retry cache and for late delivery jobs."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Reply:
        """Inverse of to_json."""
        data = json.loads(raw)
        data["articles"] = tuple(Article(**a) for a in data.get("articles", ()))
        return cls(**data)


def _werobot_article(article: Article) -> Any:
    from werobot.replies import Article as WeRoBotArticle

    return WeRoBotArticle(title=article.title, description=article.description, img=article.picurl, url=article.url)
