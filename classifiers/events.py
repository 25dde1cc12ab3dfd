"""Event type (what happened) and the badge category derived from domain and event.

Events are found by weighted cue phrases (title counts triple). The rules are readable,
explainable term by term, and measured by ``signals eval event`` against Reuters ``acq``/
``earn`` and SentiFM's labels.

Category table (the badge): the event decides when it is specific, else the domain.
"""

from __future__ import annotations

import re

from classifiers.types import Contribution

__all__ = ["CATEGORY_BY_DOMAIN", "CATEGORY_BY_EVENT", "EventRules", "category_for"]

_CUES: dict[str, list[tuple[str, float]]] = {
    "acquisition": [(r"acqui(re[sd]?|ring|sition)", 1.5), (r"merg(e[rsd]?|ing)", 1.4), (r"takeover", 1.5),
                    (r"buy(s|ing)? (a )?(\d+(\.\d+)? ?(pct|%|per ?cent) )?stake", 1.2), (r"bid for", 1.0),
                    (r"tender offer", 1.4), (r"to buy\b", 0.8), (r"deal to (buy|acquire)", 1.5),
                    (r"agreed to (buy|sell)", 1.2), (r"stake in", 0.8), (r"buyout", 1.2), (r"divest", 0.8)],
    "funding": [(r"raise[sd]? \$?\d", 1.2), (r"funding round", 2.0), (r"series [a-e]\b", 1.5), (r"seed round", 1.8),
                (r"venture capital", 1.0), (r"\bipo\b", 1.2), (r"initial public offering", 1.5), (r"valuation", 0.6),
                (r"investors? led by", 1.2), (r"backed by", 0.4)],
    "earnings": [(r"quarterly", 1.0), (r"(net )?profits?\b", 0.9), (r"\brevenues?\b", 0.7), (r"net income", 1.2),
                 (r"earnings", 1.2), (r"per share", 1.0), (r"\bshr\b", 1.5), (r"\bnet loss\b", 1.2),
                 (r"(first|second|third|fourth)[- ]quarter", 1.0), (r"\bq[1-4]\b", 1.0), (r"results", 0.5),
                 (r"\bdividend", 0.8), (r"\b(qtr|oper|revs)\b", 1.2), (r"full[- ]year", 0.7), (r"forecast", 0.4)],
    "product_launch": [(r"launch(es|ed|ing)?\b", 1.2), (r"unveil(s|ed|ing)?", 1.4), (r"introduc(es|ed|ing)", 0.8),
                       (r"releas(es|ed|ing) (a |its )?new", 1.2), (r"new (version|model|phone|device|chip|service)",
                                                                      0.9), (r"rolls? out", 1.0), (r"debut", 0.8)],
    "partnership": [(r"partner(s|ed|ing|ship)", 1.3), (r"teams? up", 1.3), (r"alliance", 1.0), (r"joint venture", 1.3),
                    (r"collaborat(e|es|ion|ing)", 1.0), (r"signs? (a )?deal with", 0.9)],
    "regulation": [(r"regulat(or|ors|ion|ions|ory)", 1.2), (r"antitrust", 1.5), (r"competition (authority|watchdog)",
                                                                                    1.4),
                   (r"\b(ftc|sec|fcc|ofcom|cma)\b", 1.0), (r"legislation", 1.0), (r"\bbill\b", 0.5),
                   (r"\blaw(s|makers)?\b", 0.5), (r"ban(s|ned)?\b", 0.7), (r"watchdog", 1.0), (r"compliance", 0.8),
                   (r"european commission", 0.9), (r"tariff", 0.8), (r"sanction", 0.8)],
    "legal": [(r"lawsuit", 1.5), (r"\bsue[sd]?\b", 1.4), (r"court", 1.0), (r"judge", 1.0), (r"trial\b", 0.8),
              (r"settle(s|d|ment)", 1.0), (r"alleg(e|es|ed|ation)", 0.7), (r"patent", 0.8), (r"guilty", 1.2),
              (r"indict", 1.4), (r"class action", 1.5)],
    "security_incident": [(r"hack(ed|ers?|ing)?\b", 1.4), (r"breach", 1.3), (r"ransomware", 2.0), (r"malware", 1.6),
                          (r"vulnerabilit(y|ies)", 1.4), (r"cyber ?attack", 1.8), (r"data leak", 1.6), (r"outage", 1.0),
                          (r"phishing", 1.5), (r"virus", 0.8), (r"exploit", 1.0), (r"\bworm\b", 1.0)],
    "layoffs": [(r"lay(s|ing)? off", 1.8), (r"layoffs?", 1.8), (r"job cuts?", 1.8), (r"cut(s|ting)? (\d+ )?jobs", 1.8),
                (r"redundanc", 1.4), (r"workforce", 0.6), (r"(shed|slash)(es|ing)? .{0,20}jobs", 1.5)],
    "executive_change": [(r"(ceo|chief executive|chairman|president|cfo|cto) .{0,30}(resign|step(s|ped)? down|quit|"
                          r"ousted|fired|retire)", 2.0), (r"appoint(s|ed|ment)", 1.2), (r"names? .{0,30}(ceo|chief)",
                                                                                         1.5),
                         (r"succeed(s|ed)? ", 0.6), (r"new (ceo|chief executive|chairman)", 1.6), (r"resign", 1.0)],
    "research": [(r"researchers?", 1.2), (r"scientists?", 1.2), (r"\bstudy\b", 1.0), (r"journal", 1.0),
                 (r"discover(y|ed)", 0.9), (r"\bpaper\b", 0.5), (r"experiment", 0.9), (r"university", 0.5),
                 (r"clinical trial", 1.2), (r"breakthrough", 0.8)],
    "strategy": [(r"restructur", 1.3), (r"strateg(y|ic)", 1.0), (r"plans? to", 0.5), (r"expan(d|ds|sion)", 0.6),
                 (r"spin[- ]?off", 1.2), (r"reorgani[sz]", 1.3), (r"shift(s|ing)? focus", 1.0), (r"invest(s|ing)? \$?\d",
                                                                                                 0.6)],
}
_MIN_SCORE = 1.6

CATEGORY_BY_EVENT = {
    "acquisition": "Funding & M&A", "funding": "Funding & M&A", "earnings": "Earnings", "product_launch": "Product",
    "partnership": "Industry", "regulation": "Policy", "legal": "Legal", "security_incident": "Security",
    "layoffs": "People", "executive_change": "People", "research": "Research", "strategy": "Industry",
}
CATEGORY_BY_DOMAIN = {
    "business": "Industry", "technology": "Tech", "science": "Research", "politics": "Policy", "world": "World",
    "sports": "Sports", "entertainment": "Entertainment", "health": "Health", "other": "General",
}


def category_for(domain: str, event: str) -> str:
    """The badge label: a specific event wins (``Funding & M&A``, ``Earnings``...), else the domain's."""
    return CATEGORY_BY_EVENT.get(event) or CATEGORY_BY_DOMAIN.get(domain, "General")


class EventRules:
    """Scores every event type by its cue phrases; the best one above a floor wins, else ``other``."""

    def fit(self) -> EventRules:
        self.patterns_ = {e: [(re.compile(r"\b" + p, re.I), w, p) for p, w in cues] for e, cues in _CUES.items()}
        return self

    def predict(self, title: str, text: str) -> tuple[str, float, list[Contribution]]:
        head = text[:1500]
        best, best_score, best_contrib = "other", 0.0, []
        for event, pats in self.patterns_.items():
            score, contrib = 0.0, []
            for rx, w, src in pats:
                n_title = len(rx.findall(title))
                n_body = len(rx.findall(head))
                if n_title or n_body:
                    s = w * (3 * min(n_title, 1) + min(n_body, 3))
                    score += s
                    contrib.append(Contribution(_label(src), s))
            if score > best_score:
                best, best_score, best_contrib = event, score, contrib
        if best_score < _MIN_SCORE:
            return "other", 0.0, best_contrib[:3]
        prob = best_score / (best_score + 3.0)
        return best, prob, sorted(best_contrib, key=lambda c: -c.weight)[:5]


def _label(pattern: str) -> str:
    return re.sub(r"[\\()?|\[\]{}^$*+.]|\bs\b", " ", pattern).replace("  ", " ").strip()[:30] or pattern[:30]
