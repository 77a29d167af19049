"""The decision on hand-set signals: when a message near both gates gets 「你是不是想问」 and when the fallback."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from index.decide import POLICY, decide
from index.engine import Signals, Understanding
from index.intent import ContentRequest

GATE = {"faq": 0.80, "item": 0.80, "request": 0.80}


def understood(faq_top: float, item_top: float, transaction: bool = False, service: bool = False,
               names_item: bool = False, words_agree: bool = True, explicit: bool = False,
               asks_staff: bool = False, lead: float = 0.01, one_word: bool = False,
               vouched: bool = False, asks_person: bool = False, elsewhere: bool = False) -> Understanding:
    """The decision for a message whose best FAQ entry and best item score as given (no request pattern); the
    best entry leads the next by `lead`, and four more items follow the best one, 0.1 apart."""
    engine = SimpleNamespace(policy=POLICY, gates={"zh": GATE}, faq_ids=["a", "b", "c"])
    faq = np.array([faq_top, faq_top - lead, faq_top - 2 * lead], dtype=np.float32)   # confidence: top + lead / 2
    items = [(f"x{n}", item_top - 0.1 * n) for n in range(5)]
    signals = Signals(text="t", faq=faq, faq_tokens=[], faq_cov=0.5, faq_qa_lead=0.0,
                      items=items, item_cov=0.5, item_words_agree=words_agree, one_word=one_word,
                      faq_vouched=np.ones(3, dtype=np.float32) if vouched else None, asks_person=asks_person,
                      elsewhere=elsewhere)
    request = ContentRequest(explicit, "t", service=service, transaction=transaction, names_item=names_item,
                             asks_staff=asks_staff)
    return decide(engine, signals, request)


def reading(faq_top: float, item_top: float, transaction: bool = False, service: bool = False) -> str:
    """The reply kind for such a message."""
    return understood(faq_top, item_top, transaction, service).kind


def test_just_under_the_faq_gate_and_nearer_the_faq_asks_which_question() -> None:
    assert reading(faq_top=0.78, item_top=0.70) == "clarify"


def test_just_under_the_faq_gate_but_nearer_the_catalogue_falls_back() -> None:
    assert reading(faq_top=0.78, item_top=0.795) == "fallback"


def test_items_over_their_gate_are_shown_and_far_under_both_falls_back() -> None:
    assert reading(faq_top=0.78, item_top=0.85) == "recommend"
    assert reading(faq_top=0.60, item_top=0.60) == "fallback"
    assert reading(faq_top=0.80, item_top=0.70) == "faq"


def test_a_message_about_a_purchase_never_takes_the_item_route() -> None:
    assert reading(faq_top=0.60, item_top=0.85, transaction=True) == "fallback"
    assert reading(faq_top=0.80, item_top=0.90, transaction=True) == "faq"


def test_a_message_about_a_course_it_speaks_of_never_takes_the_item_route() -> None:
    # 「pandas课里的代码我跑不通 能找谁问」: the catalogue is near, but the message is about a course already had
    assert understood(faq_top=0.80, item_top=0.90).kind == "recommend"
    assert understood(faq_top=0.80, item_top=0.90, names_item=True).kind == "faq"
    assert understood(faq_top=0.60, item_top=0.90, names_item=True).kind == "fallback"


def test_a_message_asking_for_the_accounts_teachers_never_takes_the_item_route() -> None:
    # 「我的龟背竹叶子有斑 能拍照问老师吗」: the plant is the catalogue's topic, the question is about a service
    assert understood(faq_top=0.80, item_top=0.90, asks_staff=True).kind == "faq"
    assert understood(faq_top=0.60, item_top=0.90, asks_staff=True).kind == "fallback"


def test_a_message_asking_for_a_person_never_takes_the_item_route() -> None:
    # 「蒲公英平台的官方客服电话是多少」 to a self-media account: near its catalogue, but no wish to read anything
    assert understood(faq_top=0.60, item_top=0.90).kind == "recommend"
    assert understood(faq_top=0.60, item_top=0.90, asks_person=True).kind == "fallback"


def test_a_message_of_a_kind_that_names_an_account_matter_never_takes_the_item_route() -> None:
    # 「199已经扣了 颜勤礼碑还是锁着的🔒」: the title is the catalogue's, the message is about a payment
    assert understood(faq_top=0.78, item_top=0.90).kind == "recommend"
    assert understood(faq_top=0.78, item_top=0.90, vouched=True).kind == "faq"


def test_a_message_about_a_purchase_just_under_the_faq_gate_asks_which_question() -> None:
    assert reading(faq_top=0.78, item_top=0.795, transaction=True) == "clarify"


def test_a_message_about_one_course_or_the_teachers_just_under_the_faq_gate_asks_which_question() -> None:
    # 「我录了一段弹唱 想请老师看看哪里不对 发哪里」: the catalogue is nearer, but the message is about the account
    assert understood(faq_top=0.78, item_top=0.795, names_item=True).kind == "clarify"
    assert understood(faq_top=0.78, item_top=0.795, asks_staff=True).kind == "clarify"
    assert understood(faq_top=0.70, item_top=0.795, asks_staff=True).kind == "fallback"


def test_an_explicit_request_is_answered_from_the_faq_only_well_over_its_gate() -> None:
    # 「vip卡友有什么福利 免费看文章吗」 reads as a request for articles, but asks about the membership
    assert understood(faq_top=0.86, item_top=0.81, explicit=True).kind == "faq"           # 0.065 over the gate
    assert understood(faq_top=0.845, item_top=0.81, explicit=True).kind == "recommend"    # 0.05 over
    assert understood(faq_top=0.86, item_top=0.88, explicit=True).kind == "recommend"     # the items lead


def test_a_service_request_needs_a_clear_faq_answer() -> None:
    assert reading(faq_top=0.82, item_top=0.70) == "faq"                            # 0.025 over the gate
    assert reading(faq_top=0.82, item_top=0.70, service=True) != "faq"
    assert reading(faq_top=0.83, item_top=0.70, service=True) == "faq"              # 0.035 over


def test_an_answer_links_up_to_three_items_when_the_catalogue_is_nearer_than_the_faq() -> None:
    domain = understood(faq_top=0.82, item_top=0.86)
    assert domain.kind == "faq" and [i for i, _ in domain.items] == ["x0", "x1", "x2"]
    assert understood(faq_top=0.82, item_top=0.75).items == []      # items under their gate
    assert understood(faq_top=0.86, item_top=0.82).items == []      # items over it, but the FAQ leads


def test_an_answer_about_one_course_or_a_purchase_links_only_the_best_item() -> None:
    assert [i for i, _ in understood(faq_top=0.82, item_top=0.86, names_item=True).items] == ["x0"]
    assert [i for i, _ in understood(faq_top=0.82, item_top=0.86, transaction=True).items] == ["x0"]


def test_items_the_words_do_not_point_to_need_a_clearer_lead_without_a_request() -> None:
    assert understood(faq_top=0.60, item_top=0.81).kind == "recommend"
    assert understood(faq_top=0.60, item_top=0.81, words_agree=False).kind == "fallback"
    assert understood(faq_top=0.60, item_top=0.83, words_agree=False).kind == "recommend"


def test_items_the_words_do_not_point_to_need_a_clearer_lead_for_a_request_too() -> None:
    assert understood(faq_top=0.60, item_top=0.81, explicit=True).items
    unconfirmed = understood(faq_top=0.60, item_top=0.81, explicit=True, words_agree=False)
    assert unconfirmed.kind == "recommend" and unconfirmed.items == []       # "no such content yet"
    assert understood(faq_top=0.60, item_top=0.83, explicit=True, words_agree=False).items


def test_a_one_word_message_is_answered_only_when_one_entry_clearly_leads() -> None:
    # 「发票」 to a KB with a personal and a company invoice entry: ask which; 「兑换码」 with one entry: answer
    assert understood(faq_top=0.85, item_top=0.5, lead=0.01, one_word=True).kind == "clarify"
    assert understood(faq_top=0.85, item_top=0.5, lead=0.05, one_word=True).kind == "faq"
    assert understood(faq_top=0.85, item_top=0.5, lead=0.01).kind == "faq"


def test_a_kind_that_vouches_answers_a_little_under_the_gate_and_asking_for_a_person_further() -> None:
    # confidence is top + lead / 2 = faq_top + 0.005; the gate is 0.80
    assert understood(faq_top=0.78, item_top=0.5, vouched=True).kind == "faq"            # 0.015 under
    assert understood(faq_top=0.76, item_top=0.5, vouched=True).kind == "fallback"       # 0.035 under
    assert understood(faq_top=0.76, item_top=0.5, vouched=True, asks_person=True).kind == "faq"
    assert understood(faq_top=0.76, item_top=0.5, asks_person=True).kind == "fallback"   # no entry phrased so
    assert understood(faq_top=0.72, item_top=0.5, vouched=True, asks_person=True).kind == "fallback"


def test_a_message_naming_another_organisation_needs_a_clearer_faq_answer() -> None:
    # 「携程订的酒店想退 找你们可以吗」: the refund entry is near, but the order is with someone else
    assert understood(faq_top=0.82, item_top=0.5).kind == "faq"                       # 0.025 over the gate
    assert understood(faq_top=0.82, item_top=0.5, elsewhere=True).kind != "faq"
    assert understood(faq_top=0.84, item_top=0.5, elsewhere=True).kind == "faq"       # 0.045 over
