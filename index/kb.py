"""Loading a checked KB folder into a KnowledgeBase."""

from __future__ import annotations

import hashlib
from pathlib import Path

from index.account import account_from_mapping
from index.check import kb_files, parse_kb
from index.model import KBInvalid, KnowledgeBase


def fingerprint(root: str | Path) -> str:
    """A hash of the names and contents of the files the service reads."""
    base = Path(root)
    h = hashlib.sha256()
    for p in kb_files(base):
        h.update(p.relative_to(base).as_posix().encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def load_kb(path: str | Path) -> KnowledgeBase:
    """Load the KB at path; raise KBInvalid with every problem when the check fails."""
    root = Path(path)
    parsed = parse_kb(root)
    if parsed.problems:
        raise KBInvalid(parsed.problems)
    return KnowledgeBase(
        root=root,
        faqs={f.id: f for f in parsed.faqs},
        items={i.id: i for i in parsed.items},
        account=account_from_mapping(parsed.account),
        userdict=parsed.userdict,
        fingerprint=fingerprint(root),
        sources=parsed.sources,
        warnings=parsed.warnings,
    )
