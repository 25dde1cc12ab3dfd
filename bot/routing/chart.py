"""The ``signals tune --plot`` chart: importance distribution, threshold lines, alerts per day.

Bars: how many stories (that pass the channel's other rules) had each importance.
Dashed lines: the thresholds tried; the red one is the current setting. The orange line
(right axis) is the mean alerts per day at each threshold, so the user sees at a glance
where the volume they want lies and how much of the distribution it cuts.
"""

from __future__ import annotations

import itertools
import math

from bot.routing.png import Canvas, Color
from bot.routing.replay import ReplayReport
from bot.routing.rules import Action, Reason, check_rules
from bot.settings import ChannelRules

__all__ = ["render_chart"]

W, H = 900, 520
LEFT, RIGHT, TOP, BOTTOM = 80, 820, 70, 440
INK: Color = (40, 40, 40)
GRID: Color = (225, 225, 225)
BAR: Color = (120, 160, 210)
BAR_ALL: Color = (205, 215, 230)
CURRENT: Color = (210, 40, 40)
OTHER: Color = (150, 150, 150)
LINE: Color = (235, 140, 20)


def _nice(top: float) -> float:
    """A round axis maximum >= top."""
    if top <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(top))
    return next(m * mag for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * mag >= top)


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def render_chart(report: ReplayReport, rules: ChannelRules, muted: frozenset[str] = frozenset(),
                 bin_width: float = 0.5) -> bytes:
    """The PNG bytes of the chart for ``report``."""
    nbins = round(10 / bin_width)
    eligible = [0] * nbins
    other = [0] * nbins
    probe = rules.model_copy(update={"min_importance": 0.0, "mode": "alerts"})
    for s in report.stories:
        b = min(nbins - 1, max(0, int(s.importance / bin_width)))
        d = check_rules(s, report.channel, probe, muted)
        if d.action is Action.ALERT or d.reason is Reason.BELOW_IMPORTANCE:
            eligible[b] += 1
        else:
            other[b] += 1
    c = Canvas(W, H)
    title = f"signals tune: {report.channel} - {len(report.stories)} stories over {len(report.days)} days"
    c.text(W // 2, 20, title, INK, scale=2, anchor="center")
    ymax = _nice(max(e + o for e, o in zip(eligible, other, strict=True)) or 1)
    means = [r.mean_per_day for r in report.results]
    rmax = _nice(max(means, default=1.0) or 1.0)

    def x_at(v: float) -> int:
        return LEFT + round((RIGHT - LEFT) * v / 10)

    def y_at(v: float, top: float) -> int:
        return BOTTOM - round((BOTTOM - TOP) * v / top)

    for i in range(6):  # grid and left/right axis labels
        y = y_at(ymax * i / 5, ymax)
        c.line(LEFT, y, RIGHT, y, GRID)
        c.text(LEFT - 8, y - 3, _fmt(ymax * i / 5), INK, anchor="right")
        c.text(RIGHT + 8, y - 3, _fmt(rmax * i / 5), LINE)
    for b in range(nbins):  # bars: eligible on top of a faint total
        x0, x1 = x_at(b * bin_width) + 1, x_at((b + 1) * bin_width) - 1
        c.rect(x0, y_at(eligible[b] + other[b], ymax), x1, BOTTOM, BAR_ALL)
        c.rect(x0, y_at(eligible[b], ymax), x1, BOTTOM, BAR)
    for v in range(11):
        c.line(x_at(v), BOTTOM, x_at(v), BOTTOM + 5, INK)
        c.text(x_at(v), BOTTOM + 10, str(v), INK, anchor="center")
    for r in report.results:  # threshold lines
        current = math.isclose(r.threshold, report.current)
        c.line(x_at(r.threshold), TOP, x_at(r.threshold), BOTTOM, CURRENT if current else OTHER,
               width=2 if current else 1, dash=0 if current else 4)
    pts = [(x_at(r.threshold), y_at(r.mean_per_day, rmax)) for r in report.results]
    for (xa, ya), (xb, yb) in itertools.pairwise(pts):
        c.line(xa, ya, xb, yb, LINE, width=3)
    for x, y in pts:
        c.rect(x - 3, y - 3, x + 4, y + 4, LINE)
    cur = report.result(report.current)
    c.text(x_at(report.current) + 6, TOP + 4, f"now {_fmt(report.current)}: {cur.mean_per_day:.1f}/day", CURRENT)
    c.line(LEFT, BOTTOM, RIGHT, BOTTOM, INK)
    c.line(LEFT, TOP, LEFT, BOTTOM, INK)
    c.line(RIGHT, TOP, RIGHT, BOTTOM, LINE)
    c.text((LEFT + RIGHT) // 2, BOTTOM + 28, "importance", INK, scale=2, anchor="center")
    c.text(LEFT - 8, TOP - 22, "stories", INK, anchor="right")
    c.text(RIGHT + 8, TOP - 22, "alerts/day", LINE)
    ly = H - 28  # legend
    x = LEFT
    for color, label in ((BAR, "passes other rules"), (BAR_ALL, "filtered out"), (CURRENT, "current threshold"),
                         (OTHER, "other thresholds"), (LINE, "mean alerts/day")):
        c.rect(x, ly, x + 14, ly + 8, color)
        x += 20 + c.text(x + 20, ly, label, INK) + 16
    return c.png()
