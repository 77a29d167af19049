"""Generic Chinese patterns read in a message: content requests, purchases, kinds of question, account features."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Nouns that name content in general (never a KB's topic).
CONTENT_NOUNS = (
    r"(?:系统课|好课|课程|课|培训班|培训|训练营|文章|教程|资料|专栏|内容|干货|书单|书籍|书|视频|攻略|指南|计划|方法|路线|学习路线|东西)"
)
_PREFIX_RE = re.compile(
    r"^(?:我)?(?:请|求|帮我|给我)?(?:"
    r"推荐(?:一下|一些|几个|几篇|几门|点|个|下|给)?|"
    r"有(?:没有|木有|没)(?:什么|啥|哪些)?|有(?:什么|啥|哪些)(?:好的|不错的|适合的)?|"
    r"(?:想|想要|打算|准备)(?:系统)?(?:地)?(?:学习|学|了解|入门)(?:一下|下)?|"
    r"(?:怎么|如何)(?:系统)?(?:学习|学|入门)"
    r")(?:讲|教|关于|介绍)?\s*"
)
_ASKS_EXIST = r"(?:有没有|有木有|有没|有吗|有么|有嘛)"
_SEEK = r"(?:求(?!助|救|求)|找(?!不|到|了|回|人|客服|老师))"
_SUFFIX_RE = re.compile(
    rf"\s*(?:的)?(?:相关)?(?:{CONTENT_NOUNS})?(?:推荐)?(?:吗|么|嘛|呢|没|不|{_ASKS_EXIST})?[?？]?$"
)
# A request verb, or a question about whether content on X exists.
_WANTS_RE = re.compile(
    # 推荐, not the referral programme (推荐给朋友, 推荐有奖, 把课推荐给同事); 推荐给我, 推荐给我妈…的课 are requests
    r"推荐(?!给|了|过|好友|朋友|有奖|码|奖励|返)|"
    rf"推荐给(?:我|咱)|^(?!.*(?:把.{{0,10}}推荐给|奖|返现|佣金|提成|赚)).*推荐给.{{1,12}}?{CONTENT_NOUNS}|"
    # 想了解 with nothing after it (「有哪些好处 想了解下」) only asks to be told
    r"(?<![不没])想(?:要)?(?:系统)?(?:地)?(?:学|了解(?!(?:一下|下)?$)|入门)|(?:怎么|如何)(?:系统)?(?:学|入门)|学习路线|"
    rf"有(?:没有|木有|什么|啥|哪些).{{0,24}}{CONTENT_NOUNS}|"
    rf"有.{{0,24}}{CONTENT_NOUNS}(?:吗|么|嘛)|"
    # 求 or 找 asking for something, not 求助 or 找不到 (「找不到买的课」 asks where it went)
    rf"{_SEEK}(?:一份|一些|一个|几篇|点)?.{{0,16}}{CONTENT_NOUNS}|{_SEEK}(?:一份|一张|个|份).{{0,12}}(?:表|清单|模板)$|"
    rf"{CONTENT_NOUNS}(?:呢)?{_ASKS_EXIST}[?？]?$"
)
_NOISE_RE = re.compile(
    rf"{CONTENT_NOUNS}|讲得|讲的|讲|关于|相关的?|方面的?|适合|有关|的|吗|么|嘛|呢|吧|呀|啊|没|不|一下|一些|"
    r"点|下|几篇|几门|个|好的|不错的|哪些|什么|啥|我|给|请|帮|可以|能|有|求|谢谢|想|要|看看|学习|学|入门|系统|了解|"
    r"推荐|分享|[\s,.!?~，。！？～、:：;；'\"“”‘’()（）]"
)
# Asking the account for something other than teaching: a job done for the subscriber (write, shoot, edit,
# fix, build, sign up, grab a slot, book one: 帮我约个钓位, sit an exam: 证书能帮忙考吗, someone sent over: 能派个
# 老师来村里教吗, come over, one-to-one tutoring, something of theirs handled: 帮我把…, sold on: 帮我带货,
# looked up or valued: 帮我查下, 帮我鉴定, a child signed up: 能帮孩子报名考级吗), a job referral, work
# or a partnership with it (你们公司招运营吗, not 还招生吗), a physical place, a free copy of something, or goods:
# which brand to buy, whether it sells a product, supplies goods (有货源吗, 一件代发) or can be bought from,
# wholesale, printed copies and delivery (a parcel's whereabouts, not logistics or appraisal as a topic:
# 翡翠怎么鉴定, 怎么找货源), or whether to see a doctor (要不要打破伤风针, 要去医院看吗, 是不是心脏有问题):
# medical advice, which no article gives.
_SERVICE_RE = re.compile(
    r"(?:帮我|帮忙|替我|代我)(?:们)?(?:公司|单位|团队)?(?:一下|下)?"
    r"(?:写|做|拍|剪|修|改|弄|办|报名|投|清洗|设计|订|买|代|抢|搭建|开发|定制|把|带货|卖|推广|约|预约|考(?!虑|察|一下))|"
    r"派(?:个|一个|位|一位|名)?[^,，。？?]{0,6}(?:来|过来|上门)|"
    r"(?:能|可以)帮(?:孩子|娃|我家孩子|我家娃)(?:一下|下)?(?:报名|报考|抢)|"
    r"代(?:报名|投稿|购|买|办|写|拍|剪|修|练|考|抢)|(?:能|可以)约(?!束)|一对一|1对1|内推|"
    r"(?:从|在|跟)你们(?:这|这里|这儿)?(?:能|可以)?(?:直接)?买(?:吗|么|嘛|不|得到)|"
    # the account coming over (能上门吗, 请老师上门, 上门怎么收费), not someone else who did (房东上门要收房)
    r"(?:能|可以|会|提供|有没有|支持|约|请|安排|派)[^\s,.!?，。！？]{0,6}上门|"
    r"上门(?:服务|私教|教学|辅导|指导|安装|喂|洗|维修|检测|拍|修|量|怎么收费|收费|多少钱|吗)|"
    r"招(?:不招|聘|兼职|老师|讲师|作者)|招人吗|你们(?:公司|这|这边|团队|那)?(?:还)?招(?!生|收|募学|呼)|"
    r"兼职|加盟|商务合作|(?:怎么|如何|想|寻求|谈谈?)合作|合作(?:吗|方式)|入驻|"
    r"(?:在|来|到)你们.{0,6}(?:开课|讲课|授课)|线下|门店|实体店|校区|网盘|盗版|破解版|"
    r"(?:哪个|哪家|哪款|什么|啥)(?:牌子|品牌)|(?:你们|这里|这儿)(?:自己|也|还)?(?:(?:有|在)?卖(?!的)|有(?:没有)?货源)|"
    r"(?:能|可以)一件代发|有没有卖|卖不卖|"
    r"纸质|实体书|(?:邮|能|可以)寄|寄(?:到|给|过来|回)|快递|包邮|发货|"
    # whether the account takes work or buys something: 字画装裱你们做不做, 收不收里程
    r"收不收|你们[^,，。？?]{0,8}(?:做|接|办|收)不(?:做|接|办|收)|"
    r"(?:帮我|帮忙|替我|给我)(?:一下|下)?(?:查|鉴定|估价|估个价)|(?:能|可以|你们)[^,，。？?]{0,6}批发|批发(?:吗|么|价)|"
    r"物流(?:到哪|信息|单号|怎么查)|"
    r"(?:要不要|需不需要|用不用|该不该|要)(?:去)?(?:医院|看医生|就医|打.{0,4}针)|去医院(?:看|查)(?:一下|下)?吗|"
    r"是不是.{0,6}(?:心脏|病了|有病)"
)
# Talk about a purchase: a refund, a payment, an order or an invoice, or buying content or its price
# ("课…买的", "报了…训练营", "这门课有点贵"). A question about buying is an account question, even when it
# names the course it is about. Money on its own (amounts, cards, instalments) is not enough: in a finance
# or shopping account it is the topic itself.
_RENEWAL = r"(?<!手)续费"     # a renewal charge, not a fee (手续费)
_PAID_NOUNS = r"(?:课|文章|专栏|会员|训练营|内容)"
_PRICE = r"(?:买|购|报名|报了|原价|降价|活动价|便宜了|(?:有点|太|好|这么|挺|真|很|比较)贵|贵了)"
_REFUND = r"退款|退钱|退费|(?:能|可以|可不可以)退|退不|退吗"      # asking for a refund, in its usual words
_TRANSACTION_RE = re.compile(
    rf"{_REFUND}|不给退|不让退|驳回|付款|付钱|付[了过完]|支付(?!宝)|"
    rf"扣款|扣费|被扣|扣了钱|扣钱|{_RENEWAL}|订单|发票|下单|"
    rf"{_PRICE}.{{0,12}}{_PAID_NOUNS}|{_PAID_NOUNS}.{{0,12}}{_PRICE}"
)

# Kinds of account question that a message and an entry's phrasings can both be recognised as. Entries of
# one kind sit next to entries on the same topic (a refund vs. a refused refund vs. when a refund arrives),
# and the encoder hears the topic far louder than the kind; these words make an entry likelier to be the
# one meant (see Engine.rank_bonus). Only the kinds that vouch make the message likelier to be in scope, when
# the entry ranked first is of that kind (Policy.kind_band): their words name an account matter and nothing else
# (退款…到账, 转人工, 兑换码). Everyday words that a domain's own questions use (在哪, 没通过, 几号, 值不值, 送给,
# 分期) only reorder.
_PAID = r"(?:付了|付过|付完|已付|已经付|付款.{0,4}成功|支付成功|扣了|扣款|扣费|success|paid)"
_LOCKED = (r"(?:还|但|却|可|又).{0,10}(?:买|购买|锁|看不了|看不到|看不见|打不开|没开通|没解锁|未开通|未解锁|"
           r"只能看(?:一半|一部分|试读|开头)|只显示(?:一半|试读))")
_SOMEONE = r"(?:爸|妈|父母|朋友|同学|同事|闺蜜|别人|家人|对象|老公|老婆|男朋友|女朋友|他|她)"
_INSTALMENTS = r"分(?:\d{1,2}|[一二三四五六七八九十几两]{1,2})?期"   # 分期, 分3期, 分十二期, not 部分过期
_WANTS_BACK = r"(?<!不用)(?<!不要)(?<!不想)(?<!无需)(?<!不必)(?<!别)(?:退|还给我|要回)"   # but not 「这个月的不用退」
_UNUSED = r"没用过|还没用|没有用过|没使用|未使用"     # the condition a charge is refunded on, said for asking it


@dataclass(frozen=True)
class Facet:
    """One kind of account question, or one account feature: how a message says it, and how an entry's
    phrasing does."""

    name: str
    message: re.Pattern[str]
    phrasing: re.Pattern[str]
    vouches: bool = False   # its words name an account matter only, never a domain's topic (see FACETS)


def _facet(name: str, message: str, phrasing: str | None = None, vouches: bool = False) -> Facet:
    return Facet(name, re.compile(message), re.compile(phrasing or message), vouches)


# buying together: 部门12个人都想学 有团购价没, 和室友一起买能便宜吗 (not a refund of such a purchase); a kind, and
# what makes a message that says 想学 a question about buying (content_request)
_GROUP_PURCHASE = _facet(
    "group purchase",
    r"^(?!.*退).*(?:团购|拼团|一起买|合买|几个人.{0,6}买|(?:多|几|十几|[2-9]|\d\d)个人.{0,8}买|批量(?:买|购)|企业采购)",
    r"团购|拼团|一起买|多人|批量|企业采购|团体|多份|几份", vouches=True)
FACETS = (
    # a refusal or a failed outcome, or asking it be looked at again: 被驳回, 不给退, 没通过, 不符合条件, 能不能再审
    _facet("refusal", r"驳回|拒绝|拒了|被拒|不给|不让|不同意|不通过|没通过|没过(?!期)|不批|不予|"
                      r"不符合.{0,6}条件|申诉|再审|重新审核|复审|判错"),
    # a refund refused, said of the refund itself (才学了三节就不让退了, 退款没给过): a refusal twice over, since
    # the plain refund entry is always the nearest neighbour of the refused-refund one
    _facet("refund refused",
           r"(?:不给|不让|不能|没给|拒绝|拒了|被拒|驳回|没通过).{0,3}退|退.{0,6}(?:被拒|驳回|没通过|没给过|不通过|拒绝)",
           r"驳回|拒绝|被拒|不给退|不让退|没通过|不通过|申诉"),
    # asking where something is: 去哪输入, 从哪进去看
    _facet("where", r"在哪|哪里|去哪|哪儿|从哪|入口"),
    # bought, and the price dropped since: 149买的 今天活动价119, 刚下单就便宜了
    _facet("price drop",
           r"^(?=.*(?:买的|买了|买完|刚买|下单|付了|付款|入手|购买)).*(?:降价|便宜了|差价|价保|价格保护|买贵|"
           r"(?:今天|现在|一看|变成?|只要|活动价)\d+)",
           r"降价|便宜了|差价|价保|价格保护|买贵", vouches=True),
    # bought for someone else: 开到他的微信上, 多买几份分给她们, 帮闺蜜付钱, 买给同学的课, 给我的老公买一份,
    # 送出去的课她一直没领
    _facet("gift",
           r"(?:他|她|同事|朋友|闺蜜|家人|别人)的?(?:微信|号|账号)|分给|送给|送人|赠送|礼物|代买|代付|"
           rf"(?:给|帮)我?的?{_SOMEONE}.{{0,4}}(?:买|付)|买给我?的?{_SOMEONE}|送出去|送.{{0,8}}(?:没|不|未)领",
           r"送给|送人|赠送|送课|礼物|代买|(?:给|帮)别人买"),
    # when or where a refund arrives: 退的钱要等几个工作日, 退款会退到哪里
    _facet("refund arrival", r"退.{0,8}(?:到账|工作日|多久|几天|退到|什么时候到)|退款进度",
           r"^(?=.*退).*(?:到账|多久|进度|退到|什么时候)", vouches=True),
    # charged for a renewal, and wants it back: 连续包年没关 昨天扣了178 能还给我吗, 又扣钱了 昨天扣的 还没用过
    _facet("charge refund",
           rf"^(?=.*(?<!不是)(?:自动续|{_RENEWAL}|续了|连续包|被扣|扣了|扣款|扣费|扣钱)).*(?:{_WANTS_BACK}|{_UNUSED})",
           rf"^(?=.*(?:{_RENEWAL}|续了|自动扣|扣款|扣费|被扣|扣钱|扣的钱)).*退", vouches=True),
    # paid, and the content is still locked: 付完钱点进去还让我买
    _facet("paid but locked", f"{_PAID}.*{_LOCKED}", vouches=True),
    # the payment itself failed: 付款那一步死活过不去, 回来就付不了了, 一直提示未成年人不能支付
    _facet("payment failed",
           r"付不了|付不出|付不上|支付失败|付款失败|不能支付|无法支付|没法支付|支付不了|"
           r"(?:付款|支付|付钱).{0,8}(?:过不去|不成功|失败|失效|报错|没反应|卡住|转圈)",
           r"付不了|支付失败|付款失败|(?:付款|支付).{0,6}(?:不成功|失败|没反应)", vouches=True),
    # a person rather than the bot: 有真人吗, 机器人答非所问, 转人工, 客服几点下班 (not 人工授粉, not a robotics course)
    _facet("human",
           r"(?<!是)真人(?!粉)|活人|(?:转|找|要|接|叫|联系)人工|有人工(?!智能)|人工(?:客服|服务|坐席|在线)|"
           r"^人工(?:$|[\s,!?]|人工)|人工$|有没有电话|有电话吗|(?:给你们|给客服)打(?:个)?电话|打(?:个)?电话给(?:你们|客服)|"
           r"客服.{0,4}(?:在吗|在不在|几点|什么时候|电话|上班|下班|有人|怎么联系)|"
           r"(?:跟|和|同|对|不是|不要|不想)机器人|机器人(?:听不懂|答非所问|回复|回答|客服|说)",
           r"真人|人工(?!智能)|活人|客服", vouches=True),
    # an invoice for a company rather than a person: 公司抬头的发票, 要专票, 填税号
    _facet("company invoice", r"^(?=.*(?:发票|开票|专票|普票)).*(?:公司|单位|企业|专票|税号|对公)",
           r"公司|单位|企业|专票|专用发票|税号|对公"),
    # the date something ends or is charged: 下次扣费是哪天, 到几号结束
    _facet("date", r"哪天|几号|几月几|什么时候(?:到期|结束|扣)", r"哪天|几号|什么时候到期|到期时间|到期日"),
    # watching without a connection: 坐高铁没信号 能提前把课下到手机里吗 (a course cached, not a cache as a topic)
    _facet("offline",
           r"没(?:有)?(?:信号|网)|断网|离线|飞行模式|(?:下|下载|存)到手机|(?:课|视频|音频).{0,4}缓存|缓存.{0,4}(?:课|视频|音频)",
           r"离线|缓存|没网|没有网|没信号", vouches=True),
    # a code to redeem rather than a coupon: 手上有个12位的码, 朋友给了我一串码说能换课, 背面刮开
    _facet("redeem code",
           r"兑换码|激活码|礼品码|课程码|卡密|刮开|一串.{0,6}(?:码|字母|数字)|\d+位的?码|"
           r"(?<![号证正密维])码.{0,6}(?:换|兑|用|激活)",     # not 号码, 验证码, 密码, 二维码
           r"兑换码|激活码|礼品卡|卡密|课程码", vouches=True),
    # paying in instalments: 花呗行不行, 想分3期, 分几个月慢慢还
    _facet("instalments", rf"{_INSTALMENTS}|花呗|分.{{0,2}}个?月.{{0,2}}(?:还|付)|慢慢还", rf"{_INSTALMENTS}|花呗"),
    # the same thing bought twice: 下单下重了, 扣了两次, 多出来那份, 扣了两笔钱
    _facet("bought twice",
           r"买重|重复(?:购买|下单|付款|支付|扣|买)|下重|多买了|(?:买|付|扣|下单)了两次|两次(?:钱|款)|"
           r"多出来的?(?:那|一)份|(?:扣|付)了两笔|两笔(?:钱|款)",
           r"重复|买重|两次", vouches=True),
    # how many devices may sign in: 提示设备数已达上限, 两台手机同时登
    _facet("devices",
           r"设备数|(?:登录|登陆)的?设备|设备.{0,6}(?:上限|超|满)|"
           r"(?:几|多少|两|三|[2-9])台(?:设备|手机|电脑|平板|ipad).{0,4}(?:登|用|看)|同时(?:登|在线)|多端",
           r"设备|几台|同时登|多端|共享|一起用", vouches=True),
    # a complaint that the content is not what was sold: 我要投诉, 跟介绍的不一样, 跟介绍完全两回事
    _facet("complaint",
           r"投诉|举报|不符|货不对板|虚假宣传|(?:和|跟|与)(?:宣传|介绍|描述|说的|写的).{0,4}(?:不一样|不符|不一致|两回事)|"
           r"骗人|坑人",
           r"投诉|不符|不一致|虚假|货不对板|(?:和|跟|与)(?:宣传|介绍|描述).{0,4}不一样"),
    # a refund of an article rather than a course: 9块9那篇能退不, 买了篇攻略 没啥用 能退吗 (not 「一篇都没看」)
    _facet("article refund", r"^(?=.*(?:文章|(?<!一)篇|一篇(?!都|也))).*(?:退款|退钱|退吗|能退|可以退|退不|退了)",
           r"^(?=.*(?:篇|文章)).*退"),
    # what was bought or claimed has gone missing: 我买的申论课去哪了, 买的课跑哪去了 翻半天没找着, 领的会员课放哪了
    _facet("lost purchase",
           r"(?:买|购|解锁|领)[^,.!?，。！？]{0,12}(?:去哪|哪去|跑哪|放哪|不见|找不到|找不着|没找着|找半天|翻半天)",
           r"(?:买过|买的|已购|已买|购买的|解锁的?)[^,.!?，。！？]{0,8}(?:在哪|哪里|去哪|找不到|不见)|已购",
           vouches=True),
    # whether a membership includes a course or it costs extra: 开了年卡 那门课还要另外掏钱吗
    _facet("included",
           r"(?:会员|年卡|月卡|季卡|半年卡|vip).{0,20}(?:还要|还得|要不要|需要|得)(?:另外|单独|再)?"
           r"(?:付钱|付费|掏钱|花钱|收费|买|付)|另外(?:付|掏|花|收|买)|单独(?:付|掏|花|收|买)",
           r"另外(?:付|买|收|花|掏)|单独(?:买|付|购买|收费)|都免费|免费看|含课|包含.{0,4}课|课.{0,4}(?:包含|包括)"),
    # how long something bought stays readable: 文章买了是永久的吗, 能看多久
    _facet("permanent", r"永久|能看多久|看多久|一直(?:都)?能看", r"有效期|能看多久|看多久|永久"),
    # what is left when a membership is not renewed: 不续费的话 打卡记录会被清掉吗
    _facet("not renewed", r"不续(?:费)?的话|没(?:有)?续费|不再续", r"到期后|过期后|到期了|过期了|到期之后|过期之后"),
    # a mistake in the content: 公式好像写反了, 配图放反了 给你们挑个错, 讲义里有个图画错了, 参数卡上不一样 到底哪个对
    # (not an invoice or an order written wrong, nor the subscriber's own mistake or a domain's mismatch:
    # 「是哪里写错了」, 「节奏对不上」, 「对不上焦」)
    _facet("content error",
           r"^(?!.*(?:发票|抬头|订单|付款|支付|兑换|密码|手机号|哪里(?:写|算|弄|搞)错|我.{0,6}(?:写|算|弄|搞)错))"
           r".*(?:写反|写错|画错|画反|配错|错字|错别字|算错|放反|讲错|标错|印错|搞错|弄错|有误|笔误|勘误|纠错|挑个?错|哪个才?对|"
           r"以哪个为准|应该是.{0,10}吧|好像错了|有个错|过时了|(?:文章|课|讲|讲义|页).{0,16}对不上)",
           r"错误|有错|写错|讲错|笔误|错别字|错字|纠错|勘误|过时", vouches=True),
    _GROUP_PURCHASE,
    # stopping a renewal rather than getting its charge back: 每三个月扣我78 想解除这个扣费, 自动扣费我要关掉
    _facet("stop renewal",
           r"^(?!.*(?:退|还给我|要回|没用过|还没用)).*(?:(?:取消|关闭|关掉|关了|解除|停掉|停止)[^,，。]{0,6}"
           r"(?:续费|扣费|扣款|包月|包年|连续|订阅)|(?:续费|扣费|扣款|包月|包年|订阅)[^,，。]{0,6}(?:取消|关闭|关掉|解除|停掉|停止))",
           r"(?:取消|关闭|关掉|停止).{0,4}(?:自动续费|续费|扣费|连续)|(?:自动续费|续费|扣费).{0,4}(?:取消|关闭|关掉)"),
    # what a membership brings: 有什么好处, 每个月送券吗, 划算吗
    _facet("benefits", r"好处|特权|权益|福利(?:有|是|都)|送.{0,8}券|划算|值不值|值得",
           r"好处|特权|权益|福利|有什么用|能干嘛|值不值|享受什么"),
)

_PLATFORMS = r"抖音|快手|小红书|b站|哔哩哔哩|喜马拉雅|视频号|知乎"
_MARKETPLACES = r"淘宝|天猫|京东|拼多多|闲鱼|唯品会|亚马逊|美团|饿了么|滴滴|携程"
# Another company's service, where the account's own purchases, refunds and staff are not the subject:
# 「京东买的手机刚买就便宜了」, 「淘宝客服几点下班」. A kind does not vouch for an answer then (Policy.kind_band).
ELSEWHERE_RE = re.compile(
    rf"{_MARKETPLACES}|外卖|打车|机票|火车票|酒店|银行|运营商|话费|网吧|游戏|chatgpt|gpt|siri|小爱|{_PLATFORMS}"
)
# Another organisation named as the one a purchase, refund or account is with: 「我在别的机构报的班想退费」,
# 「在别的书法APP开的年卡」, 「携程订的酒店想退 找你们可以吗」, another paid-content platform's membership, or
# another brand's asked to count here (「墨趣的VIP能在你们这用吗」), a school gone bust
# (「学棋机构倒闭了学费不退」), or any name the purchase was made on (「野狐上买的会员怎么退款」) but the places the
# account itself sells (its official account, mini program, app, site, phone or computer). Narrower than
# ELSEWHERE_RE: banks, hotels, tickets and games are a domain's topic as often (「我没有绑银行卡」,
# 「酒店wifi付不了款」).
OTHER_ORG_RE = re.compile(
    rf"(?:别的|其他|其它).{{0,6}}?(?:机构|平台|网站|app|公众号|地方|店)|别家|第三方|{_MARKETPLACES}|"
    r"(?:能|可以|能不能)在你们(?:这|这里|这儿|这边)(?:用|使用|通用|抵扣)|"
    r"得到app|在得到|得到上|樊登|小鹅通|千聊|荔枝微课|网易云课堂|腾讯课堂|极客时间|慕课网|混沌学园|喜马拉雅|"
    r"倒闭|跑路|(?<!你们)(?<!贵)机构.{0,6}(?:退|倒闭|跑路)|"
    r"(?:^|[\s,，]|在|从)(?!我|在|app|公众号|小程序|官网|手机|电脑|网页|微信|苹果|安卓|平板|群里|直播间|你们|这|那|网上|线上|官方)"
    r"[a-z0-9\u4e00-\u9fff]{2,5}?(?:上|里)(?:买|开|充|订)的"
)

# Features of an account that not every account has: points, closing the account, an affiliate scheme, a
# profile, a presence on other platforms, taking submissions. A KB none of whose entries names one in its
# phrasings, or speaks of it in its answer as a question would (「注销账号时，剩余的鱼币原路退回」, not 「提供
# 账号昵称」), has no answer about it, however close a question's wording comes to an entry (「积分怎么兑换
# 礼品」 and the redeem-code entry share only 兑换). A platform counts when the message asks about watching,
# buying or finding the account there, not when it says where the subscriber saw it (「小红书上刷到你们的课」)
# or heard something (「知乎上说…」).
FEATURES = (
    _facet("points", r"积分"),
    _facet("closing the account",
           r"注销(?:账号|帐号|账户|用户|会员号)|(?:账号|帐号|账户)(?:怎么|如何|能不能|能|可以|要)?(?:注销|销户)",
           r"注销|销户"),
    _facet("affiliate", r"分销|佣金|返佣|提成|推广员", r"分销|佣金|返佣|提成|推广|邀请|推荐有奖|返现"),
    _facet("profile", r"(?:改|换|修改|更换|设置)(?:一下|下)?(?:头像|昵称)|(?:头像|昵称).{0,6}(?:改|换|设置|不了)",
           r"昵称|头像"),
    _facet("other platforms",
           rf"(?:{_PLATFORMS})(?!.{{0,4}}(?:看到|刷到|看见|推荐))(?=.{{0,4}}(?:看|听|买|搜|有|号|直播))", _PLATFORMS),
    _facet("submissions", r"投稿|约稿|征稿"),
)

# A question about the bot itself (「你是机器人吧 哈哈」, 「你是真人吗」): small talk, not a request for a person
# (「有真人吗」, 「转人工」), which the human kind reads.
SMALL_TALK_RE = re.compile(
    r"^(?:你|您)(?:到底)?(?:是不是|是)(?:个|一个)?(?:机器人|真人|人工智能|ai|机器|bot|自动回复)"
    r"(?:吗|吧|嘛|么|啊|呀|呢|不)?[\s?!哈嘿呵]*$"
)
# Asking for money back (「能退吗」, 「钱怎么要回来」): a question about a purchase, whatever it also says it wants
# to learn (「颜体课买了才看2节 发现更想学欧体 能退吗」).
_REFUND_ASKED_RE = re.compile(rf"{_REFUND}|要回来|退回")
_CLAUSE_RE = re.compile(r"[\s,.!?~，。！？～、;；]+")
_BUY_RE = re.compile(
    r"^(?:我)?(?:想|要|想要|打算)?(?:购买|买|下单|订购|入手)(?:一下|一个|一份|一门|一篇|这个|这门|这篇|那个)?\s*(.+)$"
)
# A wish to buy a course or article named by its topic rather than its title (「买 sql 课」, 「我想买机器学习的课」,
# 「入手一门数据分析课」): one clause naming what is sold, not a purchase made (买了, 买的, 买完, 买错, 买贵, 买给),
# goods (「想买一把吉他」) or a question about buying (「买课可以开发票吗」, 「买课当礼物 对方不领怎么办」).
_WISH_RE = re.compile(r"^(?:我)?(?:想|要|想要|打算|准备)?(?:购买|买|订购|入手)(?![了的过完错贵给到不]|重了|重复)"
                      r"(?:一下|一个|一份|一门|一篇|这个|这门|这篇|那个|那门|那篇|个|门|篇|份|几门|几篇)?\s*(.+)$")
_SOLD_RE = re.compile(r"课|训练营|打卡营|文章|教程|专栏|合集")
_NOT_A_NAME_RE = re.compile(
    r"吗|么|嘛|呢|吧|怎么|如何|哪|什么|啥|多少|几|能不能|可以|能否|为什么|为啥|送|给|[?？,，。!！;；]|"
    r"[\u4e00-\u9fff]\s+[\u4e00-\u9fff]"
)
# A course or article spoken of, as in 「重疾险那门课到期了还能看吗」, 「训练营结束了能回看吗」, 「共读营在哪报名」
# (a camp, not 营养, 营业, 运营, 经营).
_NAMES_ITEM_RE = re.compile(r"课|(?<![运经露])营(?![养业销地])|专栏|文章|这篇|那篇")
# Asking the account's own teachers or coaches (「想请老师看看哪里不对」, 「能找教练帮我看看吗」): a question about a
# service of the account, which its FAQ answers, not a wish to read something.
_STAFF_RE = re.compile(r"(?:请|找|让|问|联系)(?:一下|下)?(?:老师|教练|助教|导师|讲师|作者)")
# The same requests written in English (「recommend a python course」, 「any articles on running for beginners?」,
# 「I want to learn machine learning」), read after index.normalize.read_terms has put 课程 for course.
_EN_NOUNS = (r"(?:课程|courses|articles?|tutorials?|guides?|lessons?|classes|class|posts?|materials?|resources?|"
             r"content|books?|videos?|anything|something|stuff)")
_EN_WANTS_RE = re.compile(
    r"\b(?:recommend|suggest)\b|"
    r"\b(?:want|wanna|would like|'d like|like|hope|need|trying|plan|planning) to "
    r"(?:learn|study|get into|get started)\b|"
    r"\bwanna learn\b|\bhow (?:do i|to|can i|should i) (?:learn|study|get started|start learning|get into)\b|"
    rf"^(?:do you (?:have|guys have|offer)|have you got|got|is there|are there|any)\b.{{0,48}}\b{_EN_NOUNS}\b|"
    rf"\b(?:looking for|searching for)\b.{{0,48}}\b{_EN_NOUNS}\b"
)
# Asking the account, in English, for goods, a job done, a visit, private lessons or work (see _SERVICE_RE).
_EN_SERVICE_RE = re.compile(
    r"\bdo you (?:guys )?(?:sell|ship|deliver)\b|\bwhere (?:can|do) i buy\b|\bwhich brand\b|"
    r"\b(?:can|could|would) (?:you|someone|somebody|a \w+) (?:come|write|make|do|fix|edit|ship|send|deliver|book|"
    r"design|build|sign me up)\b|\b(?:one|1)[- ]on[- ](?:one|1)\b|\bprivate (?:lessons?|tutor|tutoring|coach)|"
    r"\bin[- ]person\b|\bphysical (?:store|shop|copy|book)|\bprinted\b|\bhiring\b|\bpart[- ]time job|"
    r"\bpartnership\b|\bcollaborat"
)
_EN_WORD_RE = re.compile(r"[a-z0-9][a-z0-9+#.'-]*|[\u4e00-\u9fff]+")
_EN_NOISE = frozenset(
    "recommend recommendation recommendations suggest suggestion suggestions want wanna would like 'd hope need "
    "trying plan planning learn study get getting into started start how do does to can could "
    "should please pls plz i me my you your we us our guys have has got is are there any some a an the good great "
    "nice best useful on about for of in with and or that which what something anything stuff looking searching "
    "课程 courses articles article tutorials tutorial guides guide lessons lesson classes class posts post "
    "materials material resources resource content books book videos video offer thanks thank".split()
)
_MENU_WORDS = {"推荐", "推荐内容", "看推荐", "好课推荐", "内容推荐", "推荐课程", "推荐文章", "有什么推荐", "求推荐"}


@dataclass(frozen=True)
class ContentRequest:
    """A message that asks for content: explicit (a request pattern matched) and its topic; `service` when
    it rather asks the account for a job done, work, a place or a free copy, which no article or course is;
    `transaction` when a message without a request pattern is about buying, paying or a refund; `names_item`
    when it speaks of one course or article (「那门课」, 「训练营结束了」), the one thing it is about; `asks_staff`
    when it asks for the account's teachers or coaches."""

    explicit: bool
    topic: str
    service: bool = False
    transaction: bool = False
    names_item: bool = False
    asks_staff: bool = False


def content_request(text: str) -> ContentRequest:
    """Whether a normalised message asks for articles/courses, and on which topic ('' if none)."""
    if text in _MENU_WORDS:
        return ContentRequest(True, "")
    service = bool(_SERVICE_RE.search(text) or _EN_SERVICE_RE.search(text))
    # 「几个人都想学口语 一起买能便宜吗」 and 「…更想学欧体 能退吗」 ask about buying
    buying = bool(_GROUP_PURCHASE.message.search(text) or _REFUND_ASKED_RE.search(text))
    if not _WANTS_RE.search(text) or buying:
        if _EN_WANTS_RE.search(text):
            words = [w.strip(".'") for w in _EN_WORD_RE.findall(text)]
            return ContentRequest(True, " ".join(w for w in words if w and w not in _EN_NOISE), service)
        return ContentRequest(False, text, service, bool(_TRANSACTION_RE.search(text)) or buying,
                              bool(_NAMES_ITEM_RE.search(text)), bool(_STAFF_RE.search(text)))
    kept = []
    for clause in _CLAUSE_RE.split(text):
        clause = _SUFFIX_RE.sub("", _PREFIX_RE.sub("", clause)).strip()
        if len(_NOISE_RE.sub("", clause)) >= 2:
            kept.append(clause)
    return ContentRequest(True, " ".join(kept), service)


def buy_target(text: str) -> str | None:
    """The thing after '买/购买/下单' at the start of a normalised message, if any."""
    m = _BUY_RE.match(text)
    if not m:
        return None
    target = m.group(1).strip(" 《》「」『』\"“”'‘’:：,，。.!！?？")
    return target or None


def purchase_wish(text: str) -> ContentRequest | None:
    """A normalised message that wishes to buy a course or article it names by topic, not by title (see
    _WISH_RE), as a request for that topic; None for any other message, and for one naming nothing but 课."""
    m = _WISH_RE.match(text)
    if not m or len(m.group(1)) > 24 or not _SOLD_RE.search(m.group(1)) or _NOT_A_NAME_RE.search(m.group(1)):
        return None
    topic = _SUFFIX_RE.sub("", m.group(1)).strip()
    if len(_NOISE_RE.sub("", topic)) < 2:
        return None
    return ContentRequest(True, topic, bool(_SERVICE_RE.search(text)))


def kinds_of(text: str) -> list[str]:
    """The names of the FACETS a normalised message is recognised as."""
    return [f.name for f in FACETS if f.message.search(text)]


def features_of(text: str) -> list[Facet]:
    """The account FEATURES a normalised message asks about."""
    return [f for f in FEATURES if f.message.search(text)]
