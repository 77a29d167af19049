"""Each kind of KB problem is reported as path:line: message on a broken copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import KBInvalid, Problem, check_kb, load_kb
from index.check import parse_kb

ARTICLE = """---
id: {id}
title: 测试文章
kind: {kind}
price: {price}
tags: [测试]
summary: 一句话
author: 测试作者
published: {published}
---
免费试读。
{marker}
付费内容。
"""


def write_article(kb: Path, name: str = "t.md", **kw: str) -> Path:
    fields = {"id": "test-item", "kind": "article", "price": "9.90", "published": "2025-01-02",
              "marker": "<!-- paywall -->"} | kw
    p = kb / "articles" / name
    p.write_text(ARTICLE.format(**fields), encoding="utf-8")
    return p


def write_faq(kb: Path, text: str, name: str = "x.yaml") -> Path:
    p = kb / "faq" / name
    p.write_text(text, encoding="utf-8")
    return p


def only(problems: list[Problem], needle: str) -> Problem:
    hits = [p for p in problems if needle in p.message]
    assert len(hits) == 1, problems
    return hits[0]


def test_valid_copy_has_no_problems(kb_copy: Path) -> None:
    assert check_kb(kb_copy) == []
    write_article(kb_copy)
    assert check_kb(kb_copy) == []


def test_problem_prints_path_line_message() -> None:
    assert str(Problem("faq/a.yaml", 3, "boom")) == "faq/a.yaml:3: boom"


def test_yaml_syntax_error_has_line(kb_copy: Path) -> None:
    p = write_faq(kb_copy, "- id: a\n  question: q\n  answer: [unclosed\n  tags: [x]\n")
    prob = only(check_kb(kb_copy), "YAML syntax")
    assert prob.path == str(p) and prob.line >= 3


def test_a_key_written_twice_names_both_lines_and_an_unclosed_quote_its_opening_line(kb_copy: Path) -> None:
    p = write_faq(kb_copy, "- id: a\n  question: 第一个\n  answer: 答案\n  question: 第二个\n")
    prob = only(check_kb(kb_copy), "appears twice")
    assert (prob.path, prob.line) == (str(p), 4) and "first on line 2" in prob.message
    write_faq(kb_copy, "- id: a\n  question: \"没有闭合\n  answer: 答案\n" + "# 注释\n" * 20)
    assert only(check_kb(kb_copy), "YAML syntax").line == 2


def test_an_article_saved_with_a_bom_reads_like_any_other(kb_copy: Path) -> None:
    p = write_article(kb_copy)
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert check_kb(kb_copy) == []


def test_missing_required_field(kb_copy: Path) -> None:
    write_faq(kb_copy, "- id: ok-one\n  question: 问题一\n  answer: 答案\n\n- id: no-answer\n  question: 问题二\n")
    prob = only(check_kb(kb_copy), "missing required field 'answer'")
    assert prob.line == 5


def test_bad_id_format(kb_copy: Path) -> None:
    write_faq(kb_copy, "- id: Bad_ID\n  question: 问题\n  answer: 答案\n")
    assert only(check_kb(kb_copy), "bad id").line == 1


def test_duplicate_id_across_faq_and_articles(kb_copy: Path) -> None:
    write_faq(kb_copy, "- id: same-id\n  question: 问题\n  answer: 答案\n")
    p = write_article(kb_copy, id="same-id")
    prob = only(check_kb(kb_copy), "duplicate id")
    assert (prob.path, prob.line) == (str(p), 2)


def test_duplicate_id_within_faq(kb_copy: Path) -> None:
    write_faq(kb_copy, "- id: twice\n  question: 一\n  answer: 答\n- id: twice\n  question: 二\n  answer: 答\n")
    assert only(check_kb(kb_copy), "duplicate id").line == 4


def test_answer_too_long(kb_copy: Path) -> None:
    write_faq(kb_copy, "- id: long\n  question: 问题\n  answer: " + "长" * 601 + "\n")
    assert only(check_kb(kb_copy), "answer is 601 characters").line == 3


@pytest.mark.parametrize("price", ["0.00", "19.9", "abc", "-1.00", "20"])
def test_bad_price(kb_copy: Path, price: str) -> None:
    write_article(kb_copy, price=price)
    assert only(check_kb(kb_copy), "bad price").line == 5


def test_bad_kind(kb_copy: Path) -> None:
    write_article(kb_copy, kind="video")
    assert only(check_kb(kb_copy), "bad kind").line == 4


def test_missing_paywall_marker(kb_copy: Path) -> None:
    write_article(kb_copy, marker="")
    assert only(check_kb(kb_copy), "paywall").line >= 11


@pytest.mark.parametrize("published", ["2025-13-01", "yesterday", "2025/01/02"])
def test_bad_date(kb_copy: Path, published: str) -> None:
    write_article(kb_copy, published=published)
    assert only(check_kb(kb_copy), "bad date").line == 9


def test_bad_front_matter(kb_copy: Path) -> None:
    p = kb_copy / "articles" / "nofm.md"
    p.write_text("no front matter here\n<!-- paywall -->\n", encoding="utf-8")
    assert only(check_kb(kb_copy), "front matter").line == 1
    p.write_text("---\nid: x\ntitle: [broken\n---\nbody\n<!-- paywall -->\n", encoding="utf-8")
    prob = only(check_kb(kb_copy), "YAML syntax")
    assert prob.line >= 3


def test_account_types_checked(kb_copy: Path) -> None:
    (kb_copy / "account.yaml").write_text("name: 测试号\nwelcome: [not, text]\nmenu: {button: oops}\n",
                                          encoding="utf-8")
    probs = check_kb(kb_copy)
    assert only(probs, "'welcome'").line == 2
    assert only(probs, "'menu'").line == 3


def test_each_menu_button_is_checked_as_the_platform_would_on_its_own_line(kb_copy: Path) -> None:
    (kb_copy / "account.yaml").write_text(
        "menu:\n  button:\n"
        "    - {type: click, name: 推荐}\n"                               # line 3: no key
        "    - {type: view, name: 官网, url: ftp://x}\n"                   # line 4: not http(s)
        "    - name: 我的\n      sub_button:\n"
        "        - {type: clik, name: 已购, key: MY}\n"                    # line 7: unknown type
        "        - {type: click, name: 这是一个非常非常非常非常非常长的菜单名字啊, key: X}\n",   # line 8: too long
        encoding="utf-8")
    probs = check_kb(kb_copy)
    assert only(probs, "needs 'key'").line == 3
    assert only(probs, "http(s) URL").line == 4
    assert only(probs, "'type' must be one of").line == 7
    assert only(probs, "bytes").line == 8


@pytest.mark.parametrize("name", ["faq/x.yaml", "account.yaml", "userdict.txt"])
def test_a_file_that_is_not_utf8_is_a_problem_not_a_crash(kb_copy: Path, name: str) -> None:
    (kb_copy / name).write_bytes("name: café\n".encode("latin-1"))
    prob = only(check_kb(kb_copy), "not UTF-8")
    assert (prob.path, prob.line) == (str(kb_copy / name), 1)


def test_a_kb_path_that_cannot_be_read_is_a_problem_not_a_crash(kb_copy: Path) -> None:
    (kb_copy / "faq" / "folder.yaml").mkdir()
    prob = only(check_kb(kb_copy), "cannot read the file")
    assert (prob.path, prob.line) == (str(kb_copy / "faq" / "folder.yaml"), 1)


def test_other_files_ignored(kb_copy: Path) -> None:
    (kb_copy / "README.md").write_text("---\nnot: checked\n", encoding="utf-8")
    (kb_copy / "faq" / "notes.txt").write_text(": : :", encoding="utf-8")
    (kb_copy / "queries.jsonl").write_text("{broken", encoding="utf-8")
    assert check_kb(kb_copy) == []


def warnings_of(kb: Path) -> list[Problem]:
    parsed = parse_kb(kb)
    assert parsed.problems == [] and all(w.warning for w in parsed.warnings)
    return parsed.warnings


def test_a_misspelt_field_is_a_warning_naming_the_field_it_resembles(kb_copy: Path) -> None:
    p = write_faq(kb_copy, "- id: typo\n  question: 问题\n  simliar: [另一种问法]\n  answer: 答案\n")
    (warning,) = warnings_of(kb_copy)
    assert (warning.path, warning.line) == (str(p), 3)
    assert str(warning).endswith(
        "warning: unknown field 'simliar' in an FAQ entry is ignored (did you mean 'similar'?)")
    assert load_kb(kb_copy).faqs["typo"].similar == []


def test_unknown_front_matter_and_account_fields_are_warnings(kb_copy: Path) -> None:
    article = kb_copy / "articles" / "cover.md"
    article.write_text(ARTICLE.format(id="with-cover", kind="article", price="9.90", published="2025-01-02",
                                      marker="<!-- paywall -->").replace("author:", "cover: a.png\nauthor:"),
                       encoding="utf-8")
    (kb_copy / "account.yaml").write_text("name: 测试号\nwelcom: 欢迎\n", encoding="utf-8")
    found = {(Path(w.path).name, w.line): w.message for w in warnings_of(kb_copy)}
    assert found[("cover.md", 8)] == "unknown field 'cover' in the front matter is ignored"
    assert found[("account.yaml", 2)].endswith("(did you mean 'welcome'?)")


def test_one_phrasing_under_two_entries_is_a_warning_on_the_second(kb_copy: Path) -> None:
    write_faq(kb_copy, "- id: first\n  question: 怎么退款？\n  answer: 答一\n"
                       "- id: second\n  question: 退款要多久\n  similar: [請問 怎麼退款]\n  answer: 答二\n")
    (warning,) = warnings_of(kb_copy)
    assert warning.line == 4
    assert "'請問 怎麼退款' of 'second' is also a phrasing of 'first'" in warning.message


def test_an_answer_pointing_to_a_question_no_entry_asks_is_a_warning(kb_copy: Path) -> None:
    faq = ("- id: refund-how\n  question: {question}\n  answer: 在「我的-订单」点「申请售后」。\n"
           "- id: member-refund\n  question: 会员能退吗？\n  answer: |\n    会员不退。\n"
           "    课程的退款请看「怎么申请退款」。\n")
    write_faq(kb_copy, faq.format(question="怎么申请退款？"))
    assert warnings_of(kb_copy) == []                     # the quoted question exists; page names are no questions
    p = write_faq(kb_copy, faq.format(question="课程怎么退款？"))
    (warning,) = warnings_of(kb_copy)
    assert (warning.path, warning.line) == (str(p), 6)     # the answer field
    assert warning.message == ("the answer of 'member-refund' points to 「怎么申请退款」, which is no entry's question "
                               "(did you mean 「课程怎么退款？」?)")


def test_an_empty_kb_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "faq").mkdir()
    (problem,) = check_kb(tmp_path)
    assert "no FAQ entries" in problem.message and not problem.warning


def test_load_raises_with_every_problem(kb_copy: Path) -> None:
    write_article(kb_copy, price="0", kind="video")
    with pytest.raises(KBInvalid) as err:
        load_kb(kb_copy)
    assert len(err.value.problems) == 2


def test_userdict_lines_follow_jiebas_word_freq_tag_form(kb_copy: Path) -> None:
    (kb_copy / "userdict.txt").write_text("窗口函数\n数据清洗 100\n大模型 nz\n向量库 20 nz\n坏的 行 x\n",
                                          encoding="utf-8")
    (problem,) = check_kb(kb_copy)
    assert problem.line == 5 and "word freq tag" in problem.message
