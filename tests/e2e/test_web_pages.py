"""Every page in a real headless chromium, against a seeded store; screenshots in test-output/."""

from __future__ import annotations

import re
from typing import Any

from bot.web.tuning import tuning_view
from tests.e2e.conftest import TOKEN, Server, shot
from tests.unit.web.seed import HOSTILE, NOW


def test_signals_page_lists_stories_with_reasons(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/signals")
    assert page.title() == "Signals · Signals"
    items = page.locator("li.story")
    assert items.count() > 10
    first = items.first
    assert first.get_attribute("data-story") == server.seeded.special  # newest first
    assert first.locator("h2").inner_text().endswith(HOSTILE)  # feed text shown as text, never run
    assert page.locator("#local-banner").is_visible()
    reasons = set(page.locator(".dec").evaluate_all("els => els.map(e => e.dataset.reason)"))
    assert {"posted", "below_min_importance", "not_relevant", "muted"} <= reasons
    below = page.locator('.dec[data-reason="below_min_importance"]').first.inner_text()
    assert re.search(r"below \d+ by \d\.\d", below)
    assert page.locator(".dec a[href^='https://slack.com/archives/C0AI/p']").count() > 0  # posted → message link
    shot(page, "signals", full=False)


def test_search_and_filters(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/signals")
    page.fill("input[name=q]", "ransomware")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"q=ransomware"))
    titles = page.locator("li.story h2").all_inner_texts()
    assert titles and all("Ransomware" in t for t in titles)
    page.goto(f"{server.url}/signals")
    page.select_option("select[name=channel]", "security")
    page.select_option("select[name=outcome]", "held")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"channel=security"))
    chans = set(page.locator(".dec .ch").all_inner_texts())
    assert chans == {"#security"}
    assert page.locator(".dec.tone-sent").count() < page.locator("li.story").count()
    shot(page, "signals-filtered", full=False)


def test_click_a_story_shows_members_explanation_feedback_and_deliveries(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/signals")
    page.locator("li.story a.story-link").first.click()
    page.wait_for_url(re.compile(r"/story/"))
    assert page.locator("#story-title").inner_text().endswith(HOSTILE)
    assert page.locator("#members tbody tr").count() == 3
    assert page.locator("#members tbody tr").first.locator("td").first.inner_text() == "Wire"  # by time
    assert page.locator("table.contrib").count() >= 2
    assert "useful" in page.locator("#feedback-summary").inner_text()
    assert page.locator("#deliveries tbody tr").count() >= 1
    assert "muted" in page.locator("#decisions").inner_text()
    shot(page, "story")


def test_tuning_slider_updates_the_numbers(page: Any, server: Server) -> None:
    s = server.seeded
    page.goto(f"{server.url}/tuning?channel=ai-infra&days=14")
    assert page.locator("#chart rect.bar-q").count() > 0
    assert page.locator("#sel-threshold").inner_text() == "6.0"
    for value in ("4", "8.5", "6"):
        page.locator("#threshold").fill(value)
        want = tuning_view(s.store, s.settings, "ai-infra", NOW, 14, float(value))
        assert page.locator("#sel-threshold").inner_text() == f"{float(value):.1f}"
        assert page.locator("#sel-alerts").inner_text() == f"{want.selected.alerts_per_day:.2f}"
        assert page.locator("#sel-max").inner_text() == str(want.selected.max_per_day)
        assert page.locator("#sel-total").inner_text() == str(want.selected.alerts)
        assert page.locator("#gained-count").inner_text() == str(len(want.gained))
        assert page.locator("#lost-count").inner_text() == str(len(want.lost))
        assert page.locator("#yaml-line").inner_text() == f"min_importance: {float(value):g}"
        assert page.locator("#gained li:not(.none)").all_inner_texts() == [
            f"{x.importance:.1f} {x.title}" for x in want.gained]
        assert page.locator("#lost li:not(.none)").count() == len(want.lost)
        # the server renders the same figures for the same threshold (the no-JS form)
        server_side = page.context.new_page()
        server_side.goto(f"{server.url}/tuning?channel=ai-infra&days=14&threshold={value}")
        for sel in ("#sel-alerts", "#sel-max", "#sel-digest", "#sel-precision", "#sel-rated", "#sel-total",
                    "#gained-count", "#lost-count", "#yaml-line", "#gained", "#lost"):
            assert server_side.locator(sel).inner_text() == page.locator(sel).inner_text(), sel
        server_side.close()
    page.locator("#threshold").fill("4.5")
    assert int(page.locator("#gained-count").inner_text()) > 0
    x = float(page.locator("#chosen-line").get_attribute("x1") or 0)
    cur = float(page.locator("#chart .th-current").get_attribute("x1") or 0)
    assert x < cur  # the chosen line moved left of the current threshold
    page.locator("#threshold").focus()
    page.keyboard.press("ArrowRight")
    assert page.locator("#sel-threshold").inner_text() == "5.0"
    assert "threshold=5" in page.url
    shot(page, "tuning")


def test_tuning_works_without_javascript(browser: Any, server: Server) -> None:
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    p = ctx.new_page()
    p.goto(f"{server.url}/tuning?channel=security")
    p.locator("#threshold").fill("7")  # sets the value; without the script only the form submits it
    p.click("#tune-form button[type=submit]")
    p.wait_for_url(re.compile(r"threshold=7"))
    assert p.locator("#sel-threshold").inner_text() == "7.0"
    assert int(p.locator("#lost-count").inner_text()) > 0
    ctx.close()


def test_sources_page_shows_health(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/sources")
    status = {r.get_attribute("data-source"): r.get_attribute("class") for r in page.locator("#sources tbody tr").all()}
    assert status["Ars Technica"] == "src-ok" and status["The Register"] == "src-failing"
    assert status["TechCrunch"] == "src-paused" and status["Quiet Blog"] == "src-disabled"
    assert "SECRET" not in page.content()  # feed URLs (may hold keys) only for admins
    shot(page, "sources")


def test_phone_layout(browser: Any, server: Server) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    p = ctx.new_page()
    for name in ("signals", "tuning"):
        p.goto(f"{server.url}/{name}")
        width = p.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} scrolls sideways ({width}px)"
        shot(p, f"{name}-phone", full=False)
    ctx.close()


def test_admin_sign_in(page: Any, admin_server: Server) -> None:
    page.goto(f"{admin_server.url}/signals")
    assert page.locator("#local-banner").count() == 0
    page.click("text=Admin sign-in")
    page.fill("#token", "wrong")
    page.click("form.stack button")
    assert page.locator(".error").inner_text() == "Wrong token."
    page.fill("#token", TOKEN)
    page.click("form.stack button")
    page.wait_for_url(re.compile(r"/signals$"))
    assert page.locator(".pill.admin").is_visible()
    page.goto(f"{admin_server.url}/sources")
    assert "key=SECRET" in page.content()
    shot(page, "sources-admin")
    page.click("text=Sign out")
    page.wait_for_url(re.compile(r"/signals$"))
    assert page.locator(".pill.admin").count() == 0
