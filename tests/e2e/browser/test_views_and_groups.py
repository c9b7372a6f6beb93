"""Saved views and grouped runs in Chromium, against ``cairn ui`` over the seeded store
(seed.py: VISION-1..4; optimizers sgd, adam, adam, sgd)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.browser.conftest import VIEWPORT
from tests.e2e.browser.test_dashboard import open_runs, shown_runs

pytestmark = pytest.mark.slow

Shot = Callable[[str], None]


def _headers(page: Page) -> list[str | None]:
    headers = page.locator(".runs-header [data-column]")
    return [headers.nth(i).get_attribute("data-column") for i in range(headers.count())]


def test_save_a_view_and_open_it_in_a_fresh_page(
    page: Page, browser: Browser, dashboard_url: str, screenshot: Shot
) -> None:
    columns = "sys/id,sys/name,sys/status,parameters/lr,val/loss"
    open_runs(page, f"{dashboard_url}/projects/vision?cols={columns}")
    box = page.get_by_test_id("filter-input")
    box.fill("parameters/lr < 0.5")
    box.press("Enter")
    expect(page.get_by_test_id("run-total")).to_have_text("3 runs match")
    header = page.locator(".runs-header [data-column='parameters/lr']")
    header.click()
    header.click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page.locator(".runs-row[data-run]").first).to_have_attribute("data-run", "VISION-1")
    expected_runs = shown_runs(page)
    assert expected_runs == ["VISION-1", "VISION-2", "VISION-3"]
    saved_query = parse_qs(urlparse(page.url).query)

    page.get_by_test_id("views-button").click()
    page.get_by_test_id("view-name").fill("lr below 0.5, largest first")
    page.get_by_test_id("save-view").click()
    listed = page.locator("[data-testid=views-list] li[data-view='lr below 0.5, largest first']")
    expect(listed).to_be_visible()
    screenshot("runs-saved-views")
    # The same name again is refused with the server's message.
    page.get_by_test_id("view-name").fill("lr below 0.5, largest first")
    page.once("dialog", lambda dialog: dialog.dismiss())  # "replace it?" -> no
    page.get_by_test_id("save-view").click()
    expect(listed).to_have_count(1)

    other = browser.new_context(viewport=VIEWPORT)
    try:
        fresh = other.new_page()
        open_runs(fresh, f"{dashboard_url}/projects/vision")
        fresh.get_by_test_id("views-button").click()
        fresh.locator("[data-view='lr below 0.5, largest first'] a").click()
        expect(fresh.get_by_test_id("run-total")).to_have_text("3 runs match")
        assert parse_qs(urlparse(fresh.url).query) == saved_query
        expect(fresh.get_by_test_id("filter-input")).to_have_value("parameters/lr < 0.5")
        expect(fresh.locator(".runs-header [data-column='parameters/lr']")).to_have_attribute(
            "aria-sort", "descending"
        )
        expect(fresh.locator(".runs-row[data-run]")).to_have_count(3)
        expect(fresh.locator(".runs-row[data-run]").first).to_have_attribute("data-run", "VISION-1")
        assert shown_runs(fresh) == expected_runs
        assert _headers(fresh) == columns.split(",")

        # Delete it: gone from the list, for everyone.
        fresh.get_by_test_id("views-button").click()
        fresh.once("dialog", lambda dialog: dialog.accept())
        fresh.get_by_label("Delete the view lr below 0.5, largest first").click()
        expect(fresh.locator("[data-view='lr below 0.5, largest first']")).to_have_count(0)
    finally:
        other.close()


def test_group_runs_by_a_parameter(page: Page, dashboard_url: str, screenshot: Shot) -> None:
    open_runs(page, f"{dashboard_url}/projects/vision")
    page.get_by_test_id("group-by").select_option("parameters/optimizer/name")
    table = page.get_by_test_id("groups-table")
    expect(table).to_be_visible()
    assert parse_qs(urlparse(page.url).query)["group"] == ["parameters/optimizer/name"]
    adam = table.locator("tr[data-group=adam]")
    sgd = table.locator("tr[data-group=sgd]")
    expect(adam.locator("[data-column=count]")).to_have_text("2")
    expect(sgd.locator("[data-column=count]")).to_have_text("2")
    # The mean, then min – max, of a shown metric column.
    expect(adam.locator("[data-column='val/loss']")).to_contain_text("–")
    adam.click()
    expect(table.locator("tr.group-run[data-run]")).to_have_count(2)
    keys = table.locator("tr.group-run[data-run]")
    assert sorted(keys.nth(i).get_attribute("data-run") or "" for i in range(2)) == [
        "VISION-2",
        "VISION-3",
    ]
    screenshot("runs-grouped")

    # The filter applies inside the groups; "nothing" brings the table back.
    box = page.get_by_test_id("filter-input")
    box.fill("parameters/lr < 0.05")
    box.press("Enter")
    expect(table.locator("tr.group-row")).to_have_count(1)
    expect(adam.locator("[data-column=count]")).to_have_text("2")
    page.get_by_test_id("group-by").select_option("")
    expect(page.get_by_test_id("groups-table")).to_have_count(0)
    expect(page.locator(".runs-row[data-run]")).to_have_count(2)
