"""Fixtures for index tests: small KB copies made from the shipped demo KB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "knowledge"


def copy_kb(dest: Path, faq_files: int | None = None, articles: int | None = None) -> Path:
    """Copy (part of) the demo KB into dest and return it."""
    (dest / "faq").mkdir(parents=True)
    (dest / "articles").mkdir()
    for p in sorted((DEMO / "faq").glob("*.yaml"))[:faq_files]:
        shutil.copy(p, dest / "faq" / p.name)
    for p in sorted((DEMO / "articles").glob("*.md"))[:articles]:
        shutil.copy(p, dest / "articles" / p.name)
    return dest


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A small valid KB folder the test may break."""
    return copy_kb(tmp_path / "kb", faq_files=1, articles=3)


@pytest.fixture(scope="session")
def small_kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small valid KB shared by engine tests (not to be modified)."""
    return copy_kb(tmp_path_factory.mktemp("small") / "kb", faq_files=2, articles=None)
