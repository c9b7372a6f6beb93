"""The compare view in Chromium: three runs of the seeded sweep (seed.py, fill_sweep)
compared from the runs table: overlaid curves, the table of differences, parallel
coordinates, scatter, parameter importance, images side by side, the code diff, and the
same view from a copied address in a fresh browser context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.slow

Shot = Callable[[str], None]
KEYS = ["SWEEP-1", "SWEEP-2", "SWEEP-3"]


def option_of(page: Page, selector: str) -> Any:
    """The ECharts option of the chart at ``selector`` (through the test hook)."""
    return page.evaluate(
        """(selector) => {
            const chart = window.__cairn.getInstanceByDom(document.querySelector(selector));
            const option = chart.getOption();
            const { series, parallelAxis } = option;
            return JSON.parse(JSON.stringify({ series, parallelAxis }));
        }""",
        selector,
    )


def curves(page: Page) -> dict[str, list[tuple[str, int]]]:
    """For each overlaid chart, its line series as (run key, points with a value)."""
    charts: dict[str, list[tuple[str, int]]] = {}
    cards = page.locator(".chart-card[data-metric]")
    for i in range(cards.count()):
        metric = cards.nth(i).get_attribute("data-metric")
        assert metric
        option = option_of(page, f".chart-card[data-metric='{metric}'] [data-testid=compare-chart]")
        charts[metric] = [
            (s["name"], len([p for p in s["data"] if p[1] is not None]))
            for s in option["series"]
            if s["type"] == "line"
        ]
    return charts


def wait_for_curves(page: Page) -> None:
    cards = page.locator(".chart-card[data-metric]")
    expect(cards.first).to_be_visible()
    for i in range(cards.count()):
        expect(cards.nth(i)).to_have_attribute("data-loaded", "3")


def open_compare_from_the_table(page: Page, url: str) -> None:
    page.goto(f"{url}/projects/sweep")
    expect(page.locator(".runs-row[data-run]")).to_have_count(6)
    for key in KEYS:
        page.get_by_label(f"Select {key}").check()
    button = page.get_by_test_id("compare-button")
    expect(button).to_have_text("Compare 3")
    button.click()
    expect(page.get_by_test_id("compare-view")).to_be_visible()
    assert urlparse(page.url).path == "/projects/sweep/compare"
    assert parse_qs(urlparse(page.url).query)["sel"] == [",".join(KEYS)]


def test_compare_three_runs(page: Page, dashboard_url: str, screenshot: Shot) -> None:
    series_requests: list[str] = []
    page.on(
        "request",
        lambda r: (
            series_requests.append(f"{r.method} {urlparse(r.url).path}")
            if "/series" in r.url
            else None
        ),
    )
    open_compare_from_the_table(page, dashboard_url)
    expect(page.get_by_role("heading", name="Compare 3 runs")).to_be_visible()

    # Overlaid curves: a chart per shared metric, a line with points per run.
    wait_for_curves(page)
    charts = curves(page)
    assert set(charts) == {"train/loss", "val/acc"}
    # Each chart's runs come in one batch read, not one request per run.
    assert series_requests == ["POST /api/v1/projects/sweep/series/query"] * 2, series_requests
    for metric, lines in charts.items():
        assert [name for name, _ in lines] == KEYS, metric
        assert all(points > 0 for _, points in lines), (metric, lines)
    colours = option_of(page, ".chart-card[data-metric='val/acc'] [data-testid=compare-chart]")
    line_colours = [s["lineStyle"]["color"] for s in colours["series"]]
    assert len(set(line_colours)) == 3
    screenshot("compare")

    # Smoothing and log scale go into the address.
    page.get_by_test_id("smoothing").fill("0.8")
    expect(page.get_by_test_id("smoothing")).to_have_value("0.8")
    assert parse_qs(urlparse(page.url).query)["smooth"] == ["0.8"]
    page.get_by_label("log scale").check()
    assert parse_qs(urlparse(page.url).query)["log"] == ["1"]

    # Parameters and metrics side by side, only what differs by default.
    page.get_by_test_id("compare-tab-table").click()
    table = page.get_by_test_id("compare-table")
    expect(page.get_by_test_id("only-differing")).to_be_checked()
    expect(table.locator("tr[data-column='parameters/lr']")).to_contain_text("0.001")
    expect(table.locator("tr[data-column='parameters/epochs']")).to_have_count(0)
    # The run's colour heads its column, the same as its line.
    swatch = table.locator("th[data-run='SWEEP-2'] .swatch")
    assert swatch.evaluate("(el) => getComputedStyle(el).backgroundColor") != ""
    screenshot("compare-table")
    page.get_by_test_id("only-differing").uncheck()
    expect(table.locator("tr[data-column='parameters/epochs']")).to_contain_text("10")
    assert parse_qs(urlparse(page.url).query)["all"] == ["1"]

    # Parallel coordinates: an axis per varying parameter and the metric, a line per run.
    page.get_by_test_id("compare-tab-parallel").click()
    chart = page.get_by_test_id("parallel-chart")
    expect(chart).to_be_visible()
    option = option_of(page, "[data-testid=parallel-chart]")
    axes = {a["name"]: a["type"] for a in option["parallelAxis"]}
    assert axes["optimizer"] == "category" and axes["lr"] == "log" and "val/acc" in axes
    assert "epochs" not in axes
    data = option["series"][0]["data"]
    assert len(data) == 3 and all(len(d["value"]) == len(axes) for d in data)
    screenshot("compare-parallel")

    # A scatter of any two columns.
    page.get_by_test_id("compare-tab-scatter").click()
    page.get_by_test_id("scatter-x").select_option("parameters/dropout")
    page.get_by_test_id("scatter-y").select_option("train/loss")
    expect(page.get_by_test_id("scatter-chart")).to_have_attribute(
        "data-title", "parameters/dropout × train/loss"
    )
    scatter = option_of(page, "[data-testid=scatter-chart]")
    assert [s["name"] for s in scatter["series"]] == KEYS
    assert scatter["series"][0]["data"][0][0] == 0.1  # SWEEP-1's dropout
    screenshot("compare-scatter")

    # Parameter importance, computed by the server over these three runs.
    page.get_by_test_id("compare-tab-importance").click()
    importance = page.get_by_test_id("importance")
    # The first answer imports scikit-learn in the server (seconds on a busy machine).
    expect(importance.locator("tr[data-param]")).to_have_count(4, timeout=30_000)
    rows = importance.locator("tr[data-param]")
    params = {rows.nth(i).get_attribute("data-param") for i in range(4)}
    assert params == {
        "parameters/lr",
        "parameters/optimizer",
        "parameters/batch_size",
        "parameters/dropout",
    }
    expect(page.get_by_test_id("compare-importance")).to_contain_text(
        "Same in every run, left out: parameters/epochs"
    )
    screenshot("compare-importance")

    # The same image from each run, side by side; then the latest of an image series.
    page.get_by_test_id("compare-tab-files").click()
    expect(page.get_by_test_id("file-choice")).to_have_value("eval/confusion_matrix")
    images = page.locator(".side-card img")
    expect(images).to_have_count(3)
    for i in range(3):
        expect(images.nth(i)).to_have_js_property("naturalWidth", 96)
    screenshot("compare-files")
    page.get_by_test_id("file-choice").select_option("eval/matrices")
    expect(page.locator(".side-card[data-run='SWEEP-1']")).to_contain_text("step 2")
    expect(page.locator(".side-card img")).to_have_count(3)

    # The code: different commits are said, and the two diffs are diffed.
    page.get_by_test_id("compare-tab-code").click()
    page.get_by_test_id("diff-run-1").select_option("SWEEP-3")
    expect(page.get_by_test_id("commit-verdict")).to_contain_text("different commits")
    diff = page.get_by_test_id("code-diff")
    expect(diff.locator(".del")).to_contain_text(["-+lr = 0.1"])
    expect(diff.locator(".add")).to_contain_text(["++lr = 0.001"])
    screenshot("compare-code")
    page.get_by_test_id("diff-run-1").select_option("SWEEP-2")
    expect(page.get_by_test_id("commit-verdict")).to_contain_text("same commit")


def test_a_copied_compare_address_opens_the_same_view(
    page: Page, dashboard_url: str, browser: Browser
) -> None:
    open_compare_from_the_table(page, dashboard_url)
    wait_for_curves(page)
    page.get_by_role("button", name="Metrics (2 of 2)").click()
    page.get_by_test_id("metric-picker").get_by_label("train/loss").uncheck()
    page.get_by_test_id("smoothing").fill("0.5")
    page.get_by_label("log scale").check()
    expect(page.locator(".chart-card[data-metric]")).to_have_count(1)
    wait_for_curves(page)
    expected = curves(page)
    assert list(expected) == ["val/acc"]
    copied = page.url

    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        fresh = other.new_page()
        fresh.goto(copied)
        expect(fresh.locator(".chart-card[data-metric]")).to_have_count(1)
        wait_for_curves(fresh)
        assert curves(fresh) == expected
        expect(fresh.get_by_label("log scale")).to_be_checked()
        expect(fresh.get_by_test_id("smoothing")).to_have_value("0.5")
        option = option_of(fresh, "[data-testid=compare-chart]")
        first = option["series"][0]["data"]
        assert option_of(page, "[data-testid=compare-chart]")["series"][0]["data"] == first

        # Another tab's state comes back too: the parallel chart's metric.
        page.get_by_test_id("compare-tab-parallel").click()
        page.get_by_test_id("parallel-metric").select_option("train/loss")
        fresh.goto(page.url)
        expect(fresh.get_by_test_id("parallel-metric")).to_have_value("train/loss")
        axes = option_of(fresh, "[data-testid=parallel-chart]")["parallelAxis"]
        assert axes[-1]["name"] == "train/loss"
    finally:
        other.close()
