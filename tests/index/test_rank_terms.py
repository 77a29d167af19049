"""Ranking terms for the kind of account question: a refusal favours refusal entries, a where-question
where-entries, a price drop the price-protection entry, and so on (index.intent.FACETS)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from index import Engine, load_kb, make_encoder
from index.decide import decide
from index.intent import FACETS, content_request, kinds_of
from index.normalize import normalize
from tests.index.conftest import copy_kb

RECOGNISED = [
    ("refusal", "退款被驳回了"), ("refusal", "为啥不给我退"), ("refusal", "售后不同意"),
    ("refusal", "审核没过 还能再申请吗"), ("refusal", "申请被拒了"),
    ("where", "付了钱的课去哪找啊"), ("where", "兑换码从哪输入"),
    ("price drop", "上个月299买的训练营 现在只要199"), ("price drop", "我刚下单就降价了"),
    ("price drop", "刚买完就便宜了50 能退差价不"),
    ("gift", "想给我妈买一门课 能开到她的微信吗"), ("gift", "可以买两份分给室友吗"),
    ("gift", "我买给同学的课他一直没点领取"), ("gift", "能用我的微信付钱 给我的老公买一份吗"),
    ("refund arrival", "退款申请好几天了 钱退到哪去了"), ("refund arrival", "退的钱多久到账"),
    ("charge refund", "自动续费又扣了我一个月 能退吗"), ("charge refund", "被扣了30块 能还给我吗"),
    ("charge refund", "忘了取消包月又扣钱了 昨天扣的 还没用过"),
    ("article refund", "9块9那篇文章看完觉得没啥干货 能退不"), ("article refund", "买了篇签证攻略 没啥用 能退吗"),
    ("lost purchase", "我买的申论课去哪了 找半天"), ("lost purchase", "上个月买的课跑哪去了 翻半天没找着"),
    ("included", "开了年卡 那门课还要另外掏钱吗"), ("included", "开了会员 系统课需要单独付费吗"),
    ("refusal", "售后说不符合退款条件 我不服"), ("refusal", "退款审核判错了 能不能再审一次"),
    ("payment failed", "扫码付款提示二维码失效"), ("human", "有没有电话可以打 我打字太慢了"),
    ("paid but locked", "付了款文章还是只能看一半"), ("permanent", "单篇文章买了是永久的吗"),
    ("not renewed", "不续费的话 打卡记录会被清掉吗"),
    ("paid but locked", "付完款了点开还是让我购买"), ("paid but locked", "钱扣了但是打开还是锁着"),
    ("paid but locked", "刚付了9.9 账单里有记录 但是后半篇还是看不到"),
    ("payment failed", "点了付款一直转圈"), ("payment failed", "微信支付失败是怎么回事"),
    ("benefits", "开会员有啥好处"), ("benefits", "年卡值不值得买"), ("benefits", "会员每月送一张5元的券吗"),
    ("human", "机器人答非所问 有真人吗"), ("human", "转人工"), ("human", "客服晚上几点下班"),
    ("human", "周末有人工在线吗"),
    ("company invoice", "公司抬头的发票能开吗"), ("company invoice", "要开专票 税号怎么填"),
    ("date", "会员到几号结束"), ("date", "下次扣费是哪天"),
    ("redeem code", "朋友送了张卡 背面刮开是一串字母"), ("redeem code", "手上有个16位的码 去哪兑"),
    ("instalments", "能用花呗吗"), ("instalments", "太贵了 能分三个月付吗"), ("instalments", "信用卡能分12期吗"),
    ("bought twice", "同一个专栏下单了两次"), ("bought twice", "手滑买重了"),
    ("devices", "提示登录设备已达上限"), ("devices", "两台手机能同时登一个号吗"),
    ("complaint", "说好的答疑一次都没有 我要投诉"), ("complaint", "课程内容跟介绍的不一样"),
    ("content error", "文章第三段那个公式好像写反了"), ("content error", "配图放反了 给你们挑个错"),
    ("content error", "第5课写的水温和参数卡上不一样 到底哪个对"), ("gift", "我送出去的课朋友两天都没领 钱会退吗"),
    ("human", "跟机器人说不明白 能不能换个活人"), ("refund refused", "才学了三节课就不让退了？太不合理"),
    ("refund refused", "退款没给过 我觉得不合理"), ("bought twice", "点了两下 结果扣了两笔钱"),
    ("offline", "坐高铁没信号 能提前把课下到手机里吗"), ("offline", "视频能缓存吗"),
    ("content error", "里程课第18讲说的燃油费跟航司官网对不上"), ("content error", "讲义里有个图画错了 在哪提交"),
    ("complaint", "课程跟介绍完全两回事 找谁反映"), ("payment failed", "给娃买课 一直提示未成年人不能支付"),
    ("lost purchase", "领的会员专享课放哪了 翻了半天找不着"),
    ("group purchase", "我们部门12个人都想学power bi 有团购价没"), ("group purchase", "和室友一起买能便宜吗"),
    ("stop renewal", "每三个月扣我78 想解除这个扣费"), ("stop renewal", "会员那个自动扣费我要关掉"),
]
UNRECOGNISED = [
    "怎么申请退款", "会员还没过期 能升级吗", "给我推荐点课", "这门课多少钱", "现在买有优惠吗",
    "公司发的福利卡怎么用", "可以用什么方式付款", "退款有手续费吗", "人工智能的课怎么学",
    "包月怎么取消 不想再扣了 这个月的不用退", "我是自己开的会员 不是续费扣的 还能退吗", "发票抬头写错了能重开吗",
    "二维码扫不出来", "验证码一直收不到", "拍夜景用什么设备好", "这两次课讲的重复了",
    "年卡和月卡有什么不一样", "孩子学乐高机器人有用吗", "人工授粉怎么做", "两台相机同时用", "上个月买的基金亏了",
    "客服话术怎么练", "以前的号码不用了 收不到短信", "你是机器人还是真人", "ChatGPT 是机器人吗",
    "换了新号登录 看不到买过的课", "会员部分过期了还能看吗", "有人工智能的课吗", "给孩子买的课能退吗",
    "昨天手滑开了年卡 还一篇都没看 可以退吗", "买粉多少钱一千个 要真人粉", "营养餐怎么搭配", "redis缓存怎么设计",
    "两张表join完数据翻倍了 我是不是写错了", "用相机拍娃老是糊 眼睛总对不上焦", "弹唱的时候节奏对不上",
    "拼团成功的那门课还能退不",
]


def test_a_renewal_charge_wanted_back_is_not_a_wish_to_stop_it() -> None:
    kinds = kinds_of(normalize("忘了取消包月又扣钱了 昨天扣的 还没用过"))
    assert "charge refund" in kinds and "stop renewal" not in kinds


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    kb_dir = copy_kb(tmp_path_factory.mktemp("rank-terms") / "kb", articles=0)
    return Engine.build(load_kb(kb_dir), make_encoder(), tmp_path_factory.mktemp("idx"))


@pytest.mark.parametrize(("kind", "text"), RECOGNISED)
def test_messages_of_a_kind_are_recognised(kind: str, text: str) -> None:
    assert kind in kinds_of(normalize(text))


@pytest.mark.parametrize("text", UNRECOGNISED)
def test_other_messages_are_of_no_kind(text: str) -> None:
    assert kinds_of(normalize(text)) == []


@pytest.mark.parametrize(("kind", "entry", "neighbour"), [
    ("refusal", "refund-rejected", "refund-how"),
    ("where", "purchased-where", "refund-how"),
    ("price drop", "price-protection", "bundle-upgrade"),
    ("gift", "buy-as-gift", "member-share-account"),
    ("refund arrival", "refund-arrival", "refund-how"),
    ("charge refund", "autorenew-charged-refund", "autorenew-cancel"),
    ("paid but locked", "pay-charged-not-unlocked", "pay-failed"),
    ("payment failed", "pay-failed", "pay-charged-not-unlocked"),
    ("benefits", "member-benefits", "member-validity"),
    ("human", "contact-human", "course-qa"),
    ("company invoice", "invoice-company-special", "invoice-personal"),
    ("date", "member-validity", "member-plans"),
    ("redeem code", "redeem-code", "coupon-use"),
    ("bought twice", "duplicate-purchase", "refund-how"),
    ("devices", "member-share-account", "account-change-phone"),
    ("complaint", "content-complaint", "course-qa"),
    ("lost purchase", "purchased-where", "course-materials"),
    ("included", "member-vs-course", "member-benefits"),
    ("content error", "content-errata", "content-complaint"),
    ("refund refused", "refund-rejected", "refund-how"),
    ("offline", "course-offline-download", "course-materials"),
])
def test_entries_are_flagged_by_their_phrasings(engine: Engine, kind: str, entry: str, neighbour: str) -> None:
    flags = engine.faq_facets[kind]
    assert flags[engine.faq_ids.index(entry)] == 1.0 and flags[engine.faq_ids.index(neighbour)] == 0.0


def test_the_bonus_adds_the_flags_of_every_kind_the_message_is(engine: Engine) -> None:
    text = normalize("退款被驳回了 去哪申诉")
    assert kinds_of(text) == ["refusal", "refund refused", "where"]
    bonus = engine.rank_bonus(kinds_of(text))
    expected = engine.weights.facet * sum(engine.faq_facets[k] for k in ("refusal", "refund refused", "where"))
    assert bonus is not None and np.allclose(bonus, expected)
    assert engine.rank_bonus(kinds_of(normalize("课不想学了 钱能退回来吗"))) is None
    assert {f.name for f in FACETS} == set(engine.faq_facets)


@pytest.mark.parametrize(("text", "entry"), [
    ("申请的退款被拒绝了 凭什么", "refund-rejected"),
    ("上个月299买的训练营 现在只要199 好亏", "price-protection"),
    ("想给我妈买一门课 能开到她的微信吗", "buy-as-gift"),
    ("付完款了点开还是让我购买", "pay-charged-not-unlocked"),
    ("订单的事想找个真人处理 老师说不归他管", "contact-human"),
    ("公司抬头的发票能自己开吗", "invoice-company-special"),
    ("同事给了我一个码 说可以换一门课", "redeem-code"),
    ("刚才扣了两次钱", "duplicate-purchase"),
    ("我和老婆两台手机同时登一个号可以吗", "member-share-account"),
    ("课里说送源码 结果根本没有 骗人", "content-complaint"),
])
def test_a_message_of_a_kind_ranks_that_entry_first(engine: Engine, text: str, entry: str) -> None:
    # each of these ranks a neighbouring entry first without the term
    assert engine.understand(text).candidates[0] == entry


def test_the_term_reorders_entries_without_raising_confidence(engine: Engine) -> None:
    text = normalize("申请的退款被拒绝了 凭什么")
    sig = engine.signals(text)
    assert sig.faq_bonus is not None
    plain = dataclasses.replace(sig, faq_bonus=None)
    flipped = dataclasses.replace(sig, faq_bonus=np.where(np.arange(len(sig.faq)) == int(np.argmin(sig.faq)), 9.0, 0.0))
    req = content_request(text)
    assert decide(engine, flipped, req).candidates[0] == engine.faq_ids[int(np.argmin(sig.faq))]
    assert decide(engine, flipped, req).scores["d_faq"] == decide(engine, plain, req).scores["d_faq"]


def vouched(engine: Engine, text: str) -> np.ndarray | None:
    """The entries a message's kinds vouch for, as Engine.signals finds them."""
    norm = normalize(text)
    return engine.vouched(norm, kinds_of(norm))


def test_only_kinds_that_name_an_account_matter_vouch(engine: Engine) -> None:
    flags = vouched(engine, "能不能让真人来回答")
    assert flags is not None and flags[engine.faq_ids.index("contact-human")] == 1.0
    assert vouched(engine, "付了钱的课去哪找啊") is None        # where: 在哪 is everyday Chinese
    assert vouched(engine, "公司抬头的发票能自己开吗") is None  # 公司 and 发票 are a workplace topic too
    assert {f.name for f in FACETS if f.vouches} >= {"human", "price drop", "redeem code", "lost purchase",
                                                     "content error"}


def test_a_kind_about_another_company_does_not_vouch(engine: Engine) -> None:
    text = normalize("京东买的手机刚买就便宜了200")
    assert kinds_of(text) == ["price drop"] and engine.rank_bonus(kinds_of(text)) is not None   # it still reorders
    assert vouched(engine, text) is None
    assert vouched(engine, "淘宝客服几点下班") is None
    assert vouched(engine, "客服几点下班") is not None


def test_a_kind_that_vouches_answers_just_under_the_gate(engine: Engine) -> None:
    text = "能不能让真人来回答"
    got = engine.understand(text)
    assert got.kind == "faq" and got.faq_id == "contact-human"
    assert -engine.policy.person_band <= got.scores["d_faq"] < 0     # it asks for a person: the wider band
    shipped = engine.policy
    engine.policy = dataclasses.replace(shipped, kind_band=0.0, person_band=0.0)
    try:
        assert engine.understand(text).kind in ("clarify", "fallback")
    finally:
        engine.policy = shipped


def test_another_organisation_is_named_only_as_the_one_a_purchase_is_with(engine: Engine) -> None:
    for text in ("我在别的机构报的班想退费 怎么维权", "携程订的酒店想退 找你们可以吗", "淘宝上买的课能在这看吗",
                 "我在樊登读书的会员什么时候到期", "在得到App买的课能在这看吗"):
        assert engine.signals(normalize(text)).elsewhere, text
    for text in ("学棋机构倒闭了学费不退 能起诉吗", "野狐上买的会员怎么退款", "之前在别的号上买的课能转过来吗",
                 "在别的书法APP开的年卡怎么退款", "墨趣书法的VIP能在你们这用吗"):
        assert engine.signals(normalize(text)).elsewhere, text
    for text in ("我没有绑银行卡 用支付宝能付吗", "在酒店用wifi买课 付了三次都失败", "买的课退款多久到账",
                 "学完能得到什么证书", "我在手机上买的课 电脑上看不到", "我在你们这上买的会员", "公众号上买的课怎么退",
                 "小程序里买的课在哪看", "我上周在app里买的课", "你们机构的课能退吗", "会员在你们这能用多久"):
        assert not engine.signals(normalize(text)).elsewhere, text
