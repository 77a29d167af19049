"""In a real headless Chromium: a chat link opens the article, the reader pays in the sandbox, the full text appears."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import ROOT, Settings
from handlers.common import item_url
from tests.handlers.pay_kit import BUYER, ITEM, PublicApp, counts

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
PAID = "asyncio.Semaphore(20)"

pytestmark = pytest.mark.browser


@pytest.fixture
def public(settings: Settings, sandbox: Any) -> Iterator[PublicApp]:
    """The app on a real port, its notify URL reachable by the sandbox."""
    served = PublicApp(settings)
    yield served
    served.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def test_reader_opens_a_chat_link_pays_in_the_sandbox_and_reads_the_full_text(public: PublicApp, browser: Any,
                                                                              sandbox: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    page.goto(item_url(public.deps, ITEM, BUYER))
    assert page.url == f"{public.url}/articles/{ITEM}"
    assert "asyncio 入门" in page.locator("#title").inner_text()
    assert page.locator("#price").inner_text() == "¥19.90"
    assert "抓取 500 个网页" in page.locator("#preview").inner_text()
    assert PAID not in page.content()
    page.screenshot(path=str(ARTIFACTS / "article-preview.png"), full_page=True)

    page.click("#buy")
    page.wait_for_selector("#qr svg")
    pay_link = page.locator("#sandbox-pay")
    pay_link.wait_for(state="visible")
    page.screenshot(path=str(ARTIFACTS / "article-checkout.png"), full_page=True)
    cashier = context.new_page()
    cashier.goto(pay_link.get_attribute("href"))
    assert "¥19.90" in cashier.content()
    cashier.click("#confirm-pay")
    cashier.wait_for_selector("text=支付成功")

    page.wait_for_selector("#paid", timeout=15000)
    assert PAID in page.locator("#paid").inner_text()
    assert page.locator("#owned").inner_text() == "已购" and page.locator("#buy").count() == 0
    page.screenshot(path=str(ARTIFACTS / "article-paid.png"), full_page=True)
    no = sandbox.orders()[0]["out_trade_no"]
    assert counts(public.deps, no)[0] == 1
    context.close()
