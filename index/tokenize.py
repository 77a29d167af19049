"""Jieba tokenising with a private dictionary built from the KB itself."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import jieba

from index.normalize import fold

jieba.setLogLevel(logging.WARNING)

# Function words and chat particles that say nothing about the topic (generic Chinese).
STOPWORDS = frozenset(
    """
    的 了 吗 呢 吧 啊 呀 哦 嘛 么 哈 嗯 啦 哇 呗 咯 喔 诶 欸 唉 哎 噢 额 呃 是
    在 有 和 与 及 或 就 都 也 还 又 再 很 太 更 最 好 把 被 给 让 对 跟 从 向
    到 去 来 上 下 里 中 这 那 这个 那个 这些 那些 这样 那样 这么 那么 什么 啥 怎么
    怎样 怎么样 咋 如何 为什么 为啥 哪 哪里 哪儿 哪个 多少 几 吗? 我 我们 你 你们 您
    他 她 它 他们 自己 一个 一下 一些 一点 有点 个 能 能不能 可以 可不可以 会 要 想
    想要 需要 应该 得 地 着 过 不 没 没有 不是 是不是 有没有 请问 请 问 一 下 呢?
    吧? 啊? 一直 已经 现在 然后 但是 可是 所以 因为 如果 还是 或者 而且 并且 就是 只是
    只 才 刚 刚刚 之前 之后 以后 时候 的话 这种 那种 东西 事情 怎么办 行不行 行 可 么?
    """.split()
)
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]")


def make_tokenizer(words: Iterable[str] = ()) -> jieba.Tokenizer:
    """A private jieba tokenizer that knows the given domain words."""
    tok = jieba.Tokenizer()
    tok.initialize()
    for w in words:
        w = fold(w).strip()
        if 1 < len(w) <= 20 and " " not in w:
            tok.add_word(w, freq=max(tok.suggest_freq(w, tune=False), 20000))
    return tok


def tokens(tok: jieba.Tokenizer, text: str, keep_stop: bool = False) -> list[str]:
    """Content tokens of an already normalised text (search mode, no punctuation)."""
    out = []
    for t in tok.lcut_for_search(text):
        t = t.strip()
        if not t or not _TOKEN_OK.search(t):
            continue
        if not keep_stop and t in STOPWORDS:
            continue
        out.append(t)
    return out


def kb_words(kb: object) -> list[str]:
    """Domain words from a KnowledgeBase: tags, title pieces, FAQ phrasings' key spans, userdict."""
    words: set[str] = set(getattr(kb, "userdict", []))
    for item in getattr(kb, "items", {}).values():
        words.update(item.tags)
        words.update(_spans(item.title))
    for faq in getattr(kb, "faqs", {}).values():
        words.update(faq.tags)
        for p in faq.phrasings:
            words.update(_spans(p))
    return sorted(words)


def _spans(text: str) -> list[str]:
    """Latin words and short quoted/bracketed names inside a phrase."""
    text = fold(text)
    out = re.findall(r"[a-z][a-z0-9.+#-]{1,}", text)
    out += [m for m in re.findall(r"[「『《\"“]([^」』》\"”]{2,12})[」』》\"”]", text)]
    return out
