"""Workbook 4's Trends tab in a real browser: a PM opens it for a project with two
retrospectives, two pulse rounds and two gap assessments, sees every section drawn (the
recurring theme named, each pulse figure with its n), downloads a chart as PNG and as SVG (made
in the kernel by vl-convert, no request leaving localhost), and the page stays readable on a
phone (390x844): nothing in the Trends tab is wider than the screen.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from cpmkit.db.database import Store
from tests.feedback._trend_data import seed_trends

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The right edge of everything shown in the Trends tab, and the window's width.
WIDEST = """() => {
  const shown = [...document.querySelectorAll('.cpmkit-trends *')]
    .filter(e => e.getClientRects().length > 0 && !e.closest('.cpmkit-table-scroll'));
  const over = shown.filter(e => e.getBoundingClientRect().right > window.innerWidth + 1);
  return {
    over: over.slice(0, 8).map(e => `${e.tagName}.${[...e.classList].join(".")} ${Math.round(e.getBoundingClientRect().left)}-${Math.round(e.getBoundingClientRect().right)} ${getComputedStyle(e).whiteSpace} ${e.innerText.slice(0, 80)}`),
    window: window.innerWidth,
  };
}"""


def _open_trends(web: Any, project: int) -> Any:
    web.open("04_lessons_learned.ipynb", project=project)
    web.page.get_by_role("tab", name="Trends").click()
    trends = web.page.locator(".cpmkit-trends")
    expect(trends.locator(".cpmkit-trend-gap .cpmkit-chart svg, .cpmkit-trend-gap .cpmkit-chart canvas")).to_have_count(
        1
    )
    return trends


def test_the_trends_tab_draws_every_section_and_a_chart_downloads(
    web: Any, more_web: Any, server_store: Store, unique: Any, tmp_path: Path
) -> None:
    project = seed_trends(server_store, name=unique("Trends"))
    trends = _open_trends(web, project)
    expect(trends.locator(".cpmkit-trend-empty")).to_have_count(0)
    expect(trends.locator(".cpmkit-trend-themes")).to_contain_text("Recurring: Communication (in 2 of 2).")
    expect(trends.locator(".cpmkit-trend-pulse")).to_contain_text("33 (n = 3, few answers)")
    expect(trends.locator(".cpmkit-trend-pulse")).to_contain_text("83% (n = 6)")
    expect(trends.locator(".cpmkit-chart")).to_have_count(6)

    gap = trends.locator(".cpmkit-trend-gap")
    files = {}
    for label in ("PNG", "SVG"):
        with web.page.expect_download() as downloaded:
            gap.get_by_role("button", name=label, exact=True).click()  # one click, no preparing
        files[downloaded.value.suggested_filename] = Path(downloaded.value.path()).read_bytes()
    assert set(files) == {f"project-{project}-gap-trend.png", f"project-{project}-gap-trend.svg"}
    assert files[f"project-{project}-gap-trend.png"].startswith(PNG_SIGNATURE)
    svg = files[f"project-{project}-gap-trend.svg"].decode("utf-8")
    ET.fromstring(svg)
    assert not re.search(r"""(?:href|src)\s*=\s*["']\s*(?:https?:)?//""", svg)
    web.screenshot("trends", readme="04_trends.png", height=4000)
    web.assert_clean()

    phone = more_web("phone", sign_in="pm", viewport={"width": 390, "height": 844})
    trends = _open_trends(phone, project)
    expect(trends.locator(".cpmkit-trend-themes")).to_contain_text("Recurring: Communication")
    seen = phone.page.evaluate(WIDEST)
    assert seen["over"] == [], f"wider than the {seen['window']} px window: {seen['over']}"
    phone.screenshot("trends-phone")
    phone.assert_clean()
