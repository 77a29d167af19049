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
_NON_WORD_RE = re.compile(r"[\W_]+")
# Acknowledgements, thanks, goodbyes and forms of address: a message made of nothing else asks for nothing.
PLEASANTRIES = (
    "好的", "好滴", "好嘞", "好吧", "好哒", "好", "行", "嗯嗯", "嗯", "哦哦", "哦", "噢", "喔", "收到了", "收到",
    "明白了", "明白", "知道了", "了解了", "了解", "懂了", "晓得了", "ok", "okay", "谢谢你", "谢谢", "多谢",
    "感谢", "thank you", "thanks", "thx", "辛苦了", "辛苦啦", "辛苦", "麻烦了", "麻烦你了", "没事了", "没问题",
    "不客气", "拜拜", "再见", "bye", "晚安", "早安", "早上好", "中午好", "下午好", "晚上好", "哈哈", "哈",
    "嘿嘿", "呵呵", "赞", "太棒了", "好棒", "棒", "厉害", "老师", "小编", "亲", "您", "你", "啦", "了", "呀", "啊",
    "哈喽", "你好", "您好", "在吗",
)
# English words subscribers mix into Chinese for buying and membership, read as the Chinese words knowledge
# bases write: 「vip有什么特权」, 「paid already 但是课程没解锁」, 「申请了个人 invoice」. Only words for what every
# paid-content account sells and charges, so a domain's own English (PPT, email, video) stays as it is.
ENGLISH_TERMS = {
    "vip": "会员", "member": "会员", "membership": "会员", "refund": "退款", "invoice": "发票", "receipt": "收据",
    "payment": "付款", "pay": "付款", "paid": "已付款", "price": "价格", "discount": "优惠", "coupon": "优惠券",
    "course": "课程", "gift": "礼物", "renew": "续费", "subscribe": "订阅", "subscription": "订阅",
    "unlock": "解锁", "customer service": "客服", "auto renew": "自动续费", "auto-renew": "自动续费",
    "autorenew": "自动续费", "auto renewal": "自动续费", "payment failed": "付款失败", "pay failed": "付款失败",
    "payment success": "付款成功", "pay success": "付款成功", "price drop": "降价", "download": "下载",
    "offline": "离线", "fapiao": "发票",
}
_ENGLISH_RE = re.compile(
    r"(?<![a-z])(" + "|".join(sorted(map(re.escape, ENGLISH_TERMS), key=len, reverse=True)) + r")(?![a-z])"
)
_PLEASANTRY_RE = re.compile("|".join(sorted(map(re.escape, PLEASANTRIES), key=len, reverse=True)))


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


def plain(text: str) -> str:
    """A message folded and without its greetings and thanks, its words as written (for naming a title)."""
    return strip_fillers(fold(text))


def read_english(text: str) -> str:
    """A folded text with its English words for buying and membership (ENGLISH_TERMS) in Chinese."""
    return _ENGLISH_RE.sub(lambda m: ENGLISH_TERMS[m.group(1)], text)


def normalize(text: str) -> str:
    """The canonical form of a message used for every match."""
    return read_english(plain(text))


def bare(text: str) -> str:
    """The text without punctuation, spaces or symbols."""
    return _NON_WORD_RE.sub("", text)


def wording_key(text: str) -> str:
    """What two wordings of one message are compared by: the normalised text, bare of punctuation and spaces."""
    return bare(normalize(text))


def is_blank(text: str) -> bool:
    """True when nothing but punctuation or one repeated character remains."""
    core = bare(text)
    return not core or len(set(core)) <= 1


def is_contentless(text: str) -> bool:
    """True when the text is blank or made of nothing but pleasantries (thanks, acknowledgements, forms of
    address)."""
    return is_blank(text) or not bare(_PLEASANTRY_RE.sub("", text))
