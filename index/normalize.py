"""Text normalisation before matching: script, width, case, emoji and polite fillers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC

# Greetings, thanks and openers that carry no meaning for matching (generic Chinese chat phrases).
FILLERS = (
    "你好呀", "你好啊", "你好", "您好", "哈喽", "嗨", "hello", "hi", "hey", "在吗", "在不在", "有人吗",
    "请问一下", "请问下", "请问", "想问一下", "想问下", "想请问", "问一下", "问下", "咨询一下", "咨询下",
    "打扰一下", "打扰了", "麻烦问一下", "麻烦问下", "谢谢你", "谢谢啦", "谢谢", "多谢", "感谢",
)
_FILLER_RE = re.compile(
    "^(?:(?:" + "|".join(sorted(map(re.escape, FILLERS), key=len, reverse=True)) + r")[\s,.!?~，。！？～、]*)+"
)
_TAIL_RE = re.compile(r"(?:[\s,.!?~，。！？～、]*(?:谢谢你|谢谢啦|谢谢|多谢|感谢|thanks|thx))+[\s,.!?~，。！？～、]*$")
_SPACE_RE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def _keep(ch: str) -> bool:
    cat = unicodedata.category(ch)
    if cat in ("So", "Sk", "Cs", "Co", "Cn", "Mn", "Me", "Cf"):
        return False
    return ch not in "\ufe0f\u200d"


def fold(text: str) -> str:
    """Simplified script, half-width, lower case, no emoji, single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _t2s().convert(text)
    text = "".join(ch if _keep(ch) else " " for ch in text).lower()
    return _SPACE_RE.sub(" ", text).strip()


def strip_fillers(text: str) -> str:
    """Remove leading greetings/openers and trailing thanks."""
    prev = None
    while prev != text:
        prev = text
        text = _FILLER_RE.sub("", text).strip()
        text = _TAIL_RE.sub("", text).strip()
    return text


def normalize(text: str) -> str:
    """The canonical form of a message used for every match."""
    return strip_fillers(fold(text))


def is_contentless(text: str) -> bool:
    """True when nothing but punctuation, digits-noise or repeated characters remains."""
    core = re.sub(r"[\W_]+", "", text)
    return not core or len(set(core)) <= 1
