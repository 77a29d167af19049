"""Finding an item by its title for '买 <title>'."""

from index.titles import TitleMatcher

TITLES = {
    "py-async": "Python 异步编程：asyncio 入门",
    "py-async-2": "Python 异步编程：asyncio 进阶",
    "sql-window": "《SQL 窗口函数》一次讲透",
    "run-5k": "零基础 5 公里跑步课",
}


def test_exact_title_ignores_brackets_spacing_and_case() -> None:
    m = TitleMatcher(TITLES)
    assert m.find("sql窗口函数 一次讲透") == "sql-window"
    assert m.find("PY-ASYNC") == "py-async"


def test_a_distinctive_part_names_one_title_and_an_ambiguous_part_does_not() -> None:
    m = TitleMatcher(TITLES)
    assert m.find("asyncio 进阶") == "py-async-2"
    assert m.find("5公里跑步") == "run-5k"
    assert m.find("Python 异步编程") == "py-async"     # shared by two titles: fuzzy match, first listed wins


def test_fuzzy_match_tolerates_small_differences_and_rejects_strangers() -> None:
    m = TitleMatcher(TITLES)
    assert m.find("零基础5公里跑部课") == "run-5k"
    assert m.find("完全无关的东西") is None
    assert m.find("课") is None
