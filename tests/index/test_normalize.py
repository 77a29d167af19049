"""Normalisation: script, width, case, emoji and fillers; tokenising with KB words; intents."""

from __future__ import annotations

from index.intent import buy_target, content_request, purchase_wish
from index.normalize import fold, is_contentless, is_english, normalize
from index.tokenize import make_tokenizer, tokens


def test_traditional_to_simplified_and_width() -> None:
    assert fold("請問可以用信用卡付錢嗎") == "请问可以用信用卡付钱吗"
    assert fold("ＰＹＴＨＯＮ　１２３") == "python 123"


def test_emoji_and_fillers_removed() -> None:
    assert normalize("你好～想问下 怎么退款😅 谢谢！") == "怎么退款"
    assert normalize("在吗在吗") == ""
    assert normalize("👍👍👍") == ""
    assert normalize("请问客服在哪") == "客服在哪"


def test_forms_of_address_at_either_end_are_removed() -> None:
    for text in ("老师您好，想问一下会员怎么退", "小编你好 会员怎么退", "亲 会员怎么退", "哈喽老师 会员怎么退",
                 "老师，会员怎么退", "老师们好，会员怎么退", "会员怎么退 谢谢老师", "会员怎么退，麻烦了",
                 "会员怎么退 老师辛苦了"):
        assert normalize(text) == "会员怎么退", text
    # a title that is the subject, or no greeting at all, stays
    for text in ("客服 几点下班", "老师好像没讲这个", "老师的课在哪看", "退款好麻烦", "麻烦老师看下作业"):
        assert normalize(text) == text, text


def test_openers_hesitations_and_urgency_are_removed() -> None:
    for text in ("求助！会员能退吗", "问个问题，会员能退吗", "有个问题想问一下 会员能退吗", "请教一下 会员能退吗",
                 "嗯嗯 会员能退吗", "那个，会员能退吗", "会员能退吗 在线等 急", "会员能退吗急急急", "会员能退吗，急",
                 "不好意思打扰一下 会员能退吗", "我想问一下会员能退吗", "请问一下哈，会员能退吗",
                 "抱歉打扰，会员能退吗", "会员能退吗 拜托了"):
        assert normalize(text) == "会员能退吗", text
    for text in ("那个课在哪看", "宝宝着急就哭", "我找不到买的课了"):
        assert normalize(text) == text, text
    assert normalize("怎么点进去还让我买？？？") == "怎么点进去还让我买?"
    assert normalize("请问一下哈密瓜课在哪") == "哈密瓜课在哪"       # 哈 is a particle only before a mark or space


def test_asking_for_help_or_not_finding_a_course_is_no_request_for_content() -> None:
    for text in ("求助!课有点小贵 能花呗分期吗", "我找不到买的课了", "找了半天没找到课程入口"):
        assert not content_request(text).explicit, text
    for text in ("找点python的课", "求一份sql教程"):
        assert content_request(text).explicit, text


def test_wanting_to_know_with_nothing_after_it_asks_to_be_told_not_for_content() -> None:
    assert not content_request("开会员有哪些好处啊 想了解下").explicit
    assert content_request("想了解一下数据分析").topic == "数据分析"


def test_asking_to_have_something_looked_up_valued_shipped_or_sold_wholesale_is_a_service() -> None:
    for text in ("京东买的咖啡机物流到哪了 帮我查下", "帮我鉴定下这把紫砂壶", "能批发一些茶饼吗"):
        assert content_request(text).service, text
    assert not content_request("咖啡豆怎么保存").service


def test_asking_to_have_a_child_signed_up_goods_sold_on_or_a_job_is_a_service() -> None:
    for text in ("能帮孩子报名少儿围棋考级吗", "你们直播间能帮我带货吗 坑位费多少", "你们公司招电商运营吗 想去上班",
                 "你们有货源吗 能一件代发不"):
        assert content_request(normalize(text)).service, text
    for text in ("你们现在还招生吗", "新手怎么找货源", "一件代发怎么做", "能帮孩子买一门课吗", "帮我看看这张图"):
        assert not content_request(normalize(text)).service, text


def test_having_a_slot_booked_an_exam_sat_or_someone_sent_over_is_a_service() -> None:
    for text in ("能帮我约个黑坑钓场的位置吗 周六的", "钓鱼指导员证书你们能帮忙考吗",
                 "能派个钓师来我们村里的塘口手把手教吗"):
        assert content_request(normalize(text)).service, text
    for text in ("帮我考虑一下选哪门课", "考试前一周怎么复习", "派对上怎么拍合照好看"):
        assert not content_request(normalize(text)).service, text


def test_asking_whether_to_see_a_doctor_is_a_service_no_article_gives() -> None:
    for text in ("钓鱼被鱼钩扎进手指 要不要打破伤风针", "孩子下棋久了颈椎疼 要去医院看吗",
                 "喝完咖啡心慌手抖 是不是心脏有问题"):
        assert content_request(normalize(text)).service, text
    for text in ("久坐腰疼怎么缓解", "医院的体检报告怎么看", "心脏不好能跑步吗"):
        assert not content_request(normalize(text)).service, text


def test_asking_for_money_back_is_about_a_purchase_whatever_it_wants_to_learn() -> None:
    request = content_request(normalize("颜体课买了才看2节 发现更想学欧体 能退吗"))
    assert not request.explicit and request.transaction
    assert content_request(normalize("发现更想学欧体 有推荐的课吗")).explicit


def test_wanting_to_learn_and_asking_about_buying_together_is_about_a_purchase() -> None:
    for text in ("我和两个室友都想学口语 一起买能便宜吗", "我们部门12个人都想学power bi 有团购价没"):
        request = content_request(normalize(text))
        assert not request.explicit and request.transaction, text
    assert content_request(normalize("想学口语 有推荐的课吗")).explicit


def test_a_camp_spoken_of_is_one_item() -> None:
    assert content_request("那个共读营在哪报名呀").names_item
    assert not content_request("营养早餐怎么搭配").names_item


def test_wechat_emoticons_are_removed_like_emoji() -> None:
    # the emoji panel sends a bracketed name (Chinese or English client), the classic set a code
    assert normalize("会员能退吗[流泪][流泪]") == "会员能退吗"
    assert normalize("[Facepalm]退款多久到账") == "退款多久到账"
    assert normalize("/::<退款多久到账/:strong") == "退款多久到账"
    assert normalize("[捂脸]") == "" and normalize("/::)") == ""
    assert normalize("[會員]怎麼開") == "[会员]怎么开"       # a bracketed word that names no emoticon stays
    assert normalize("https://example.com/a 打不开") == "https://example.com/a 打不开"


def test_english_words_for_buying_and_membership_read_as_chinese() -> None:
    assert normalize("VIP有什么特权") == "会员有什么特权"
    assert normalize("Paid already 但是课程没解锁") == "已付款 already 但是课程没解锁"
    assert normalize("申请了个人 invoice 几天能收到") == "申请了个人 发票 几天能收到"
    assert normalize("customer service 在吗") == "客服 在吗"
    assert normalize("where to turn off auto-renew") == "where to turn off 自动续费"
    assert normalize("how do I renew my membership") == "how do i 续费 my 会员"
    assert normalize("cant afford to renew, what happens") == "cant afford to 续费, what happens"
    assert normalize("how do i renew my drivers license") == "how do i renew my drivers license"
    assert normalize("payment failed 好几次了") == "付款失败 好几次了"       # the phrase before its words
    assert normalize("download 下来 offline 看") == "下载 下来 离线 看"


def test_other_english_stays_english() -> None:
    assert normalize("PPT配色怎么做") == "ppt配色怎么做"
    assert normalize("paypal能付吗") == "paypal能付吗"
    assert normalize("members-only 的 video") == "members-only 的 video"


def test_contentless() -> None:
    assert is_contentless("。。。。") and is_contentless("1111") and is_contentless("")
    assert not is_contentless("退款")


def test_pleasantries_alone_ask_for_nothing() -> None:
    for text in ("谢谢老师 辛苦啦🌹", "好的 谢谢老师", "收到，明白了！", "OK thanks"):
        assert is_contentless(normalize(text)), text
    for text in ("好的 那怎么退款", "老师 发票怎么开", "客服"):
        assert not is_contentless(normalize(text)), text


def test_tokenizer_knows_kb_words() -> None:
    tok = make_tokenizer(["窗口函数", "燃卡会员"])
    assert "窗口函数" in tokens(tok, "sql窗口函数搞不懂")
    assert "燃卡会员" in tokens(tok, "燃卡会员多少钱")
    assert "的" not in tokens(tok, "燃卡会员的价格")


def test_content_request_patterns() -> None:
    assert content_request("推荐点东西") == content_request("推荐一下")
    assert content_request("推荐点东西").topic == ""
    req = content_request("有没有讲 pandas 数据清洗的课")
    assert req.explicit and "pandas" in req.topic and "课" not in req.topic
    assert content_request("想学机器学习").topic == "机器学习"
    assert not content_request("怎么申请退款").explicit
    for text in ("求一份8个月宝宝的作息表", "找一份面试自我介绍模板", "求个露营装备清单"):
        assert content_request(text).explicit, text
    for text in ("求一份发票", "课程表在哪看", "找不到我的订单清单了"):
        assert not content_request(text).explicit, text
    assert content_request("有没有摄影师资格证的培训").topic == "摄影师资格证"
    assert content_request("有没有减脂训练营").topic == "减脂"
    assert not content_request("训练营结束了视频还能回看吗").explicit
    assert not content_request("音标课买了两天 不想学了能退不").explicit
    assert content_request("只用手机拍vlog的那种课有没有").topic == "只用手机拍vlog的那种"
    assert content_request("减脂的课有吗").topic == "减脂"
    assert not content_request("这门课有没有字幕").explicit
    assert not content_request("我把入园课推荐给同事 她也买了 我能拿到点啥").explicit
    assert not content_request("推荐好友有奖励吗").explicit
    for text in ("推荐给朋友有奖励吗", "推荐给同事这门课 她买了我有奖励吗", "推荐给闺蜜的课 能返现吗"):
        assert not content_request(text).explicit, text
    assert content_request("推荐给我几门课") == content_request("推荐一下")      # a bare request: the profile decides
    assert content_request("推荐给父母买保险的课").topic == "父母买保险"


def test_talk_about_buying_content_is_a_transaction_and_money_alone_is_not() -> None:
    for text in ("减脂课我129买的 今天一看99 气死", "那个风光课有点贵 能不能拆成几个月慢慢还", "退款审核没过",
                 "刚付完钱还是让我购买", "报了你们的写作课 能保证上7分吗", "发票怎么开", "莫名其妙被扣了22块"):
        assert content_request(text).transaction, text
    for text in ("月薪8000块怎么存钱", "信用卡分期划算吗", "支付宝里的基金怎么选", "买了个闪光灯 一打人脸惨白",
                 "黄金太贵了还能买吗", "戚风出炉倒扣了还是塌", "跨行转账手续费怎么算"):
        assert not content_request(text).transaction, text


def test_speaking_of_one_course_or_article_names_an_item_and_a_domain_question_does_not() -> None:
    for text in ("重疾险那门课两年后到期了还能看吗", "训练营结束了视频还能回看吗", "文章第三段的公式写反了",
                 "打卡营的作业交到哪", "这篇讲的例子跑不通"):
        assert content_request(text).names_item, text
    for text in ("练完腿第二天走路都疼 正常吗", "老师能不能给开点止咳药", "会员有什么好处"):
        assert not content_request(text).names_item, text


def test_asking_the_account_for_a_job_work_a_place_or_a_free_copy_is_not_a_content_request() -> None:
    for text in ("能帮我剪一下孩子毕业典礼的视频吗", "老照片发黄了 能帮忙修复吗", "能约老师拍一组写真吗",
                 "可以代报名马拉松吗", "能上门私教吗", "你们招兼职老师吗", "线下门店在哪", "有课程的网盘资源吗",
                 "你们卖蛋白粉吗", "跑步机哪个牌子好", "训练手册有纸质版吗", "能寄到家吗", "你们自己卖猫砂吗",
                 "有没有课程的破解版", "能帮我抢一个考位吗", "有没有一对一的口语陪练", "可以安排老师上门吗",
                 "上门辅导多少钱", "想入驻你们平台 怎么谈合作", "能来你们这开课吗", "能帮我把这几张表合并成一张吗",
                 "能帮忙内推吗", "正版软件能从你们这买吗", "可以帮我们公司搭建一套系统吗"):
        assert content_request(text).service, text
    for text in ("男朋友给我拍照总是切脚", "练硬拉老是腰疼", "能找教练帮我看看动作吗", "大三了 校招该怎么准备",
                 "退到招行卡要几天", "天天点外卖还能瘦吗", "猫咪体内寄生虫怎么驱", "寄养在朋友家的猫不吃饭",
                 "你们卖的课程能退吗", "有没有讲品牌营销的课", "怎么让孩子招人喜欢", "如何破解拖延症",
                 "能约束住孩子玩平板吗", "房东突然上门说要收房", "物业上门查水表 说我家漏水",
                 "家校合作怎么做", "团队合作能力怎么培养", "在你们这买的课怎么退", "你们这买课能开发票吗",
                 "在你们这买了会员 怎么看课"):
        assert not content_request(text).service, text


def test_asking_for_the_accounts_teachers_or_coaches_is_recognised() -> None:
    for text in ("我录了一段弹唱 想请老师看看哪里不对", "深蹲总是膝盖内扣 能找教练帮我看看吗",
                 "没听懂的地方可以问老师吗", "想联系一下助教"):
        assert content_request(text).asks_staff, text
    for text in ("孩子不听老师的话怎么办", "老师讲得太快了", "练腿找不到感觉", "有没有讲弹唱的课"):
        assert not content_request(text).asks_staff, text


def test_a_wish_to_buy_a_course_by_its_topic_is_a_request_for_that_topic() -> None:
    for text, topic in (("买 sql 课", "sql"), ("我想买机器学习的课", "机器学习"), ("入手一门数据分析课", "数据分析"),
                        ("买那个 asyncio 的文章", "asyncio"), ("想买个git教程", "git"), ("买重疾险课", "重疾险")):
        wish = purchase_wish(text)
        assert wish is not None and wish.explicit and wish.topic == topic, text
    for text in ("买课", "买会员", "买了吉他课", "买的课在哪看", "买重了", "买课可以开发票吗", "想买一把吉他",
                 "买课当礼物 对方一直不领怎么办", "买课送同事", "买完第二天就降价了", "怎么买课"):
        assert purchase_wish(text) is None, text


def test_buy_target() -> None:
    assert buy_target("购买《asyncio 入门》") == "asyncio 入门"
    assert buy_target("买 sql 课") == "sql 课"
    assert buy_target("怎么退款") is None


def test_a_message_is_english_with_two_latin_words_and_no_chinese_character() -> None:
    assert is_english(fold("How do I get a refund?"))
    assert not is_english(fold("refund 怎么申请"))        # mixed English is read as Chinese
    assert not is_english("asdfghjkl") and not is_english("ok")


def test_english_content_requests_and_their_topics() -> None:
    topics = {"recommend a python course": "python", "Any articles about pandas data cleaning?": "pandas data cleaning",
              "I want to learn machine learning": "machine learning", "do you have a course on SQL": "sql",
              "recommend something": ""}
    for text, topic in topics.items():
        req = content_request(normalize(text))
        assert req.explicit and req.topic == topic, text
    for text in ("is there a refund", "how do I use a coupon", "I bought the same article twice"):
        assert not content_request(normalize(text)).explicit, text
    for text in ("do you sell protein powder", "can you write my thesis for me", "any one-on-one lessons"):
        assert content_request(normalize(text)).service, text


def test_slips_in_the_words_of_buying_are_read_as_meant() -> None:
    assert normalize("能开发漂吗 个人的就行") == normalize("能开发票吗 个人的就行")
    assert normalize("兑唤码在哪输") == normalize("兑换码在哪输")


def test_asking_whether_the_account_takes_work_or_buys_something_is_a_service() -> None:
    for text in ("字画装裱你们做不做", "收不收里程 我有一些想卖掉", "你们接不接婚礼跟拍"):
        assert content_request(normalize(text)).service, text
    assert not content_request(normalize("这个动作做不做热身都行吗")).service
