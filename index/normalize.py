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
    "求助", "请教一下", "请教下", "请教个问题", "问个问题", "问一个问题", "想问个问题", "有个问题", "我有个问题",
    "咨询个问题", "不好意思", "抱歉", "打扰下", "打扰", "我想问一下", "我想问下", "我想问问", "想问问", "我想问",
    "我想请问", "我想咨询一下", "我想咨询下",
)
_MARKS = ",.!?~，。！？～、"
_SEP = rf"[\s{_MARKS}]"     # what separates a greeting, a title or thanks from the rest
_FILLER_RE = re.compile(
    "^(?:(?:" + "|".join(sorted(map(re.escape, FILLERS), key=len, reverse=True)) + r")"
    rf"(?:(?:哈|呀|啊|哦)(?={_SEP}))?{_SEP}*)+"     # 「请问一下哈，」
)
# How subscribers address the account at either end of a message: 「老师您好，」, 「小编你好」, 「亲，」 … 「谢谢老师」,
# 「麻烦了」, 「老师辛苦了」. A title alone counts only before a comma or a greeting, or after one (「哈喽老师 」),
# since 「客服 几点下班」 asks about the 客服 and 「老师好像没讲」 is no greeting; an endearment (亲) also before a
# space.
_TITLES = r"(?:老师|小编|客服|管理员|博主|作者|助教|老板)们?"
_ENDEARMENTS = r"(?:亲爱的|亲|宝子们|宝子|家人们|姐妹们)"
_ADDRESS_RE = re.compile(
    rf"^(?:(?:{_TITLES}|{_ENDEARMENTS})(?:(?:你好呀|你好啊|你好|您好|在吗|在不在){_SEP}*|(?:好呀|好啊|好)(?:{_SEP}+|$))"
    rf"|{_TITLES}[{_MARKS}]+{_SEP}*|{_ENDEARMENTS}{_SEP}+"
    rf"|(?:(?:你好|您好|哈喽|嗨|hello|hi|hey|打扰了|打扰一下|早上好|中午好|下午好|晚上好){_SEP}*)+{_TITLES}{_SEP}+)"
)
# Hesitations before a message (「嗯嗯 」, 「那个，」): only before a space or a comma, since 「那个课」 names a course.
_OPENER_RE = re.compile(rf"^(?:嗯+|额|呃|那个|就是|emm+){_SEP}+")
_THANKS = rf"(?:谢谢|多谢|感谢)(?:你们|你|您)?(?:{_TITLES}|亲)?(?:了|啦|哈|呀|啊)?"
# What ends a message without adding to it: thanks (「谢谢老师」), politeness (「麻烦了」, 「拜托了」) and urgency
# (「在线等」, 「急急急」, and a lone 急 only after a space or a comma).
_TAIL_RE = re.compile(
    rf"(?:{_SEP}*{_THANKS}|{_SEP}*(?:thanks|thx)|{_SEP}+{_TITLES}{_THANKS}"
    rf"|{_SEP}+(?:{_TITLES})?(?:麻烦|辛苦|拜托)(?:你们|你|您)?(?:{_TITLES})?(?:了|啦|哈|呀|啊|拜托)?"
    rf"|{_SEP}*(?:在线等|急急急+)|{_SEP}+(?:急|很急|好急|挺急的?|比较急|着急)(?:的|啊|呀)?)+{_SEP}*$"
)
_SPACE_RE = re.compile(r"\s+")
_REPEATED_MARK_RE = re.compile(r"([?!.~,。、])\1+")      # 「？？？」, 「！！」, 「。。。」 read as one mark
_NON_WORD_RE = re.compile(r"[\W_]+")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD_RE = re.compile(r"[a-z]{2,}")
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
# Homophone slips in the words every paid-content account uses (「能开发漂吗」), read as meant.
SLIPS = {"发漂": "发票", "兑唤": "兑换"}
_SLIP_RE = re.compile("|".join(SLIPS))
_ENGLISH_RE = re.compile(
    r"(?<![a-z])(" + "|".join(sorted(map(re.escape, ENGLISH_TERMS), key=len, reverse=True)) + r")(?![a-z])"
)
# 「renew my driver's license」, 「renew the lease」: a renewal of something the account does not sell.
_RENEWS_ELSE_RE = re.compile(
    r" (?:my|the|a|an|your|his|her|our|their) (?!membership|subscription|vip|plan|card|course|member|account)[a-z]"
)
# WeChat's own emoticons arrive in a text message as text: the emoji panel's as a bracketed name (「[捂脸]」,
# 「[Facepalm]」 from an English client), the classic set as a code (「/::)」, 「/:strong」). They say no more than
# a Unicode emoji does, and left in they pull a message away from its answer.
WECHAT_EMOTICONS = (
    "微笑 撇嘴 色 发呆 得意 流泪 害羞 闭嘴 睡 大哭 尴尬 发怒 调皮 呲牙 惊讶 难过 酷 冷汗 抓狂 吐 偷笑 愉快 可爱 白眼 "
    "傲慢 饥饿 困 惊恐 流汗 憨笑 悠闲 大兵 奋斗 咒骂 疑问 嘘 晕 疯了 折磨 衰 骷髅 敲打 再见 擦汗 抠鼻 鼓掌 糗大了 坏笑 "
    "左哼哼 右哼哼 哈欠 鄙视 委屈 快哭了 阴险 亲亲 吓 可怜 菜刀 西瓜 啤酒 篮球 乒乓 咖啡 饭 猪头 玫瑰 凋谢 嘴唇 示爱 "
    "爱心 心碎 蛋糕 闪电 炸弹 刀 足球 瓢虫 便便 月亮 太阳 礼物 拥抱 强 弱 握手 胜利 抱拳 勾引 拳头 差劲 爱你 no ok "
    "爱情 飞吻 跳跳 发抖 怄火 转圈 磕头 回头 跳绳 投降 激动 乱舞 献吻 左太极 右太极 囧 笑脸 生病 破涕为笑 吐舌 脸红 "
    "恐惧 失望 无语 嘿哈 捂脸 奸笑 机智 皱眉 耶 吃瓜 加油 汗 天啊 emm 社会社会 旺柴 好的 打脸 哇 翻白眼 666 让我看看 "
    "叹气 苦涩 裂开 合十 庆祝 红包 发 福 烟花 爆竹 鬼魂 "
    "smile grimace drool scowl coolguy sob shy silent sleep cry awkward angry tongue grin surprise frown ruthless "
    "blush scream puke chuckle joyful slight smug hungry drowsy panic sweat laugh commando determined scold shocked "
    "shhh dizzy tormented toasted skull hammer wave speechless nosepick clap shame trick bah!l bah!r yawn pooh-pooh "
    "shrunken tearingup sly kiss wrath whimper cleaver watermelon beer basketball pingpong coffee rice pig rose wilt "
    "lips heart brokenheart cake lightning bomb dagger soccer ladybug poop moon sun gift hug thumbsup thumbsdown "
    "shake peace fight beckon fist pinky rockon nuhuh love blowkiss waddle tremble aaagh twirl kotow dramatic jumprope "
    "surrender hooray meditate happy sick flushed lol terror letdown duh hey facepalm smirk smart concerned yeah! "
    "onlooker goforit sweats omg respect doge noprob mybad wow boring awesome letmesee sigh hurt broken worship "
    "party packet rich blessing fireworks firecracker"
).split()
_WECHAT_EMOTICON_RE = re.compile(
    r"\[(?:" + "|".join(sorted(map(re.escape, WECHAT_EMOTICONS), key=len, reverse=True)) + r")\]"
    r"|/:[!-~]{1,8}?(?=[\s\u4e00-\u9fff\[]|/:|$)",
    re.IGNORECASE,
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
    """Simplified script, half-width, lower case, no emoji (nor WeChat's emoticons), single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _WECHAT_EMOTICON_RE.sub(" ", _t2s().convert(text))
    text = "".join(ch if _keep(ch) else " " for ch in text).lower()
    return _SPACE_RE.sub(" ", _REPEATED_MARK_RE.sub(r"\1", text)).strip()


def strip_fillers(text: str) -> str:
    """Remove leading greetings, openers, hesitations and forms of address, and trailing thanks and urgency."""
    prev = None
    while prev != text:
        prev = text
        text = _FILLER_RE.sub("", _ADDRESS_RE.sub("", _OPENER_RE.sub("", text))).strip()
        text = _TAIL_RE.sub("", text).strip()
    return text


def plain(text: str) -> str:
    """A message folded and without its greetings and thanks, its words as written (for naming a title)."""
    return strip_fillers(fold(text))


def read_terms(text: str) -> str:
    """A folded text with its English words for buying and membership (ENGLISH_TERMS) in Chinese, and its
    slips in those words (SLIPS) corrected."""
    return _SLIP_RE.sub(lambda m: SLIPS[m.group(0)], _ENGLISH_RE.sub(_term, text))


def _term(match: re.Match[str]) -> str:
    """The Chinese for one English term, but not for renewing something other than a membership."""
    if match.group(1) == "renew" and _RENEWS_ELSE_RE.match(match.string, match.end()):
        return match.group(0)
    return ENGLISH_TERMS[match.group(1)]


def normalize(text: str) -> str:
    """The canonical form of a message used for every match."""
    return read_terms(plain(text))


def is_english(text: str) -> bool:
    """True for a message written in English: no Chinese character, and at least two Latin words."""
    return not _HAN_RE.search(text) and len(_LATIN_WORD_RE.findall(text)) >= 2


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
