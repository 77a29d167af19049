"""Plain data records of a knowledge base: FAQ entries, paid items, the account, problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One finding of the KB check, printed as ``path:line: message``; a warning does not fail the check."""

    path: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"


class KBInvalid(Exception):
    """Raised by load_kb when the KB check found problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"knowledge base has {len(self.problems)} problem(s): {head}{more}")


@dataclass(frozen=True)
class FaqEntry:
    """A question the account answers with a fixed text."""

    id: str
    question: str
    similar: list[str]
    answer: str
    tags: list[str]

    @property
    def phrasings(self) -> list[str]:
        """The canonical question followed by its other phrasings."""
        return [self.question, *self.similar]

    @property
    def reply_text(self) -> str:
        """The answer as sent to a subscriber: each line trimmed."""
        return "\n".join(line.strip() for line in self.answer.strip().splitlines())


@dataclass(frozen=True)
class Item:
    """A paid article or course."""

    id: str
    title: str
    kind: str
    price_fen: int
    tags: list[str]
    summary: str
    author: str
    published: date
    preview_md: str
    paid_md: str


@dataclass(frozen=True)
class Account:
    """Texts, menu and template ids of the official account."""

    name: str
    welcome: str
    fallback: str
    no_content: str
    media_reply: str
    menu: dict
    templates: dict[str, str]


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the service reads from a KB folder."""

    root: Path
    faqs: dict[str, FaqEntry]
    items: dict[str, Item]
    account: Account
    userdict: list[str]
    fingerprint: str
    sources: dict[str, str] = field(default_factory=dict)   # FAQ id -> "faq/<file>.yaml:<line>"
    warnings: list[Problem] = field(default_factory=list)
