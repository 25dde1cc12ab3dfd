"""Event type (what happened) and the badge category derived from domain and event.

Events are found by weighted cue phrases (title counts triple). The rules are readable,
explainable term by term, and measured by ``signals eval event`` against Reuters ``acq``/
``earn`` and SentiFM's labels.

Category table (the badge): the event decides when it is specific, else the domain.
"""

from __future__ import annotations

from collections.abc import Sequence

from classifiers.text import stem, tokens
from classifiers.types import Contribution

__all__ = ["CATEGORY_BY_DOMAIN", "CATEGORY_BY_EVENT", "EventRules", "category_for"]

# Cue words and phrases per event (matched on lightly stemmed tokens of the title and lead; a
# title match counts triple). Phrases are 2-3 words. Weights are relative strengths.
_CUES: dict[str, dict[str, float]] = {
    "acquisition": {"purchase": 0.6, "to sell": 0.6, "acquire": 1.5, "acquires": 1.5, "acquired": 1.5, "acquiring": 1.5, "acquisition": 1.5,
                    "merger": 1.4, "merge": 1.4, "takeover": 1.5, "buyout": 1.2, "tender offer": 1.4, "stake in": 0.8,
                    "to buy": 0.8, "agreed to buy": 1.2, "bid for": 1.0, "divest": 0.8, "acquisitions": 1.2},
    "funding": {"funding round": 2.0, "raised": 0.6, "raises": 0.8, "series a": 1.5, "series b": 1.5,
                "series c": 1.5, "seed round": 1.8, "venture capital": 1.0, "ipo": 1.2,
                "initial public offering": 1.5, "valuation": 0.6, "led by": 0.4, "funding": 0.8, "investors": 0.4},
    "earnings": {"quarterly": 1.0, "profit": 0.9, "profits": 0.9, "revenue": 0.7, "net income": 1.2,
                 "earnings": 1.2, "per share": 1.0, "shr": 1.5, "net loss": 1.2, "first quarter": 1.0,
                 "second quarter": 1.0, "third quarter": 1.0, "fourth quarter": 1.0, "results": 0.5,
                 "dividend": 0.8, "qtr": 1.2, "oper": 1.0, "revs": 1.2, "full year": 0.7, "forecast": 0.4,
                 "net": 0.3, "cts": 0.8},
    "product_launch": {"launch": 1.2, "launches": 1.2, "launched": 1.0, "unveil": 1.4, "unveils": 1.4,
                       "unveiled": 1.4, "introduces": 0.8, "new version": 0.9, "rolls out": 1.0, "debut": 0.8,
                       "release": 0.5, "available": 0.3, "new model": 0.9, "new phone": 1.0, "new device": 1.0},
    "partnership": {"partnership": 1.3, "partner": 1.0, "partners with": 1.3, "team up": 1.3, "teams up": 1.3,
                    "alliance": 1.0, "joint venture": 1.3, "collaboration": 1.0, "deal with": 0.6},
    "regulation": {"regulator": 1.2, "regulators": 1.2, "regulation": 1.2, "regulatory": 1.0, "antitrust": 1.5,
                   "competition authority": 1.4, "ftc": 1.0, "sec": 0.6, "fcc": 1.0, "ofcom": 1.0,
                   "legislation": 1.0, "bill": 0.5, "law": 0.5, "lawmakers": 0.8, "ban": 0.7, "watchdog": 1.0,
                   "compliance": 0.8, "european commission": 0.9, "tariff": 0.8, "sanctions": 0.8, "rules": 0.4},
    "legal": {"lawsuit": 1.5, "sue": 1.4, "sues": 1.4, "sued": 1.4, "court": 1.0, "judge": 1.0, "trial": 0.8,
              "settlement": 1.0, "alleged": 0.7, "patent": 0.8, "guilty": 1.2, "indicted": 1.4,
              "class action": 1.5, "lawyers": 0.6},
    "security_incident": {"hack": 1.4, "hacked": 1.4, "hackers": 1.4, "breach": 1.3, "ransomware": 2.0,
                          "malware": 1.6, "vulnerability": 1.4, "cyber attack": 1.8, "cyberattack": 1.8,
                          "data leak": 1.6, "outage": 1.0, "phishing": 1.5, "virus": 0.8, "exploit": 1.0,
                          "worm": 1.0, "spam": 0.6, "zero day": 1.8, "cve": 1.8, "unpatched": 1.6,
                          "exploited": 1.2, "exploiting": 1.2, "security flaw": 1.8,
                          "security hole": 1.8, "data breach": 1.8, "breached": 1.4, "hacking": 1.4,
                          "spyware": 0.5, "trojan": 1.4, "ddos": 1.6, "botnet": 1.6, "backdoor": 1.4, "security patch": 1.0,
                          "compromised": 0.6, "malicious": 1.2, "attackers": 1.2, "attacker": 1.2,
                          "credentials": 0.8, "steal": 0.6, "stolen": 0.6, "supply chain attack": 1.8,
                          "side channel": 1.6, "flaw": 1.0, "flaws": 1.0, "infostealer": 1.8},
    "layoffs": {"layoffs": 1.8, "lay off": 1.8, "job cuts": 1.8, "cut jobs": 1.8, "redundancies": 1.4,
                "workforce": 0.6, "jobs": 0.4, "shed": 0.6, "axe": 0.8},
    "executive_change": {"steps down": 1.8, "step down": 1.8, "resigned": 1.4, "resigns": 1.6, "resignation": 1.4,
                         "appointed": 1.2, "appoints": 1.4, "new chief executive": 1.6, "new ceo": 1.6,
                         "successor": 1.0, "ousted": 1.4, "chief executive": 0.4, "ceo": 0.4, "chairman": 0.3,
                         "retire": 0.8},
    "research": {"researchers": 1.2, "scientists": 1.2, "study": 1.0, "journal": 1.0, "discovery": 0.9,
                 "discovered": 0.9, "experiment": 0.9, "university": 0.5, "clinical trial": 1.2, "breakthrough": 0.8,
                 "research": 0.6, "nasa": 0.8, "species": 0.8},
    "strategy": {"restructuring": 1.3, "strategy": 1.0, "strategic": 0.8, "plans to": 0.5, "expansion": 0.6,
                 "expand": 0.5, "spin off": 1.2, "spinoff": 1.2, "reorganisation": 1.3, "reorganization": 1.3,
                 "shift focus": 1.0},
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
    """Scores every event type by its cue words; the best one above a floor wins, else ``other``."""

    def fit(self) -> EventRules:
        self.cues_: dict[str, list[tuple[str, str, float]]] = {}
        for event, cues in _CUES.items():
            self.cues_[event] = [(" ".join(stem(w) for w in tokens(c)), c, w) for c, w in cues.items()]
        # Index every cue by its first stem: a document only looks at the cues it can possibly hit
        # (a phrase in the text implies its first stem is among the text's stems).
        self.by_first_: dict[str, list[tuple[str, int]]] = {}
        for event, cue_list in self.cues_.items():
            for i, (key, _, _) in enumerate(cue_list):
                if key:
                    self.by_first_.setdefault(key.split(" ", 1)[0], []).append((event, i))
        self.first_keys_ = frozenset(self.by_first_)
        return self

    def predict(self, title_stems: Sequence[str], lead_stems: Sequence[str]) -> tuple[str, float, list[Contribution]]:
        """From the stems of the title and of the lead (first ~150 words)."""
        # the cue first stems in the title and in the lead (in C); a one-word cue is its own first
        # stem, so these also answer "is it in the title / lead" without a set of all the stems
        t_set = self.first_keys_.intersection(title_stems)
        l_set = self.first_keys_.intersection(lead_stems)
        firsts = t_set | l_set
        if not firsts:
            return "other", 0.0, []
        candidates: dict[str, list[int]] = {}
        for first in firsts:
            for event, i in self.by_first_[first]:
                candidates.setdefault(event, []).append(i)
        t_str, l_str = " " + " ".join(title_stems) + " ", " " + " ".join(lead_stems) + " "
        best, best_score, best_contrib = "other", 0.0, []
        for event, cues in self.cues_.items():  # events in their fixed order, cues in theirs: same sums as before
            idx = candidates.get(event)
            if idx is None:
                continue
            score, contrib = 0.0, []
            for i in sorted(idx):
                key, label, w = cues[i]
                if " " in key:
                    pat = " " + key + " "
                    hit = 3.0 * (pat in t_str) + (pat in l_str)
                else:
                    hit = 3.0 * (key in t_set) + (key in l_set)
                if hit:
                    score += w * hit
                    contrib.append(Contribution(label, w * hit))
            if score > best_score:
                best, best_score, best_contrib = event, score, contrib
        best_contrib.sort(key=lambda c: -c.weight)
        if best_score < _MIN_SCORE:
            return "other", 0.0, best_contrib[:3]
        return best, best_score / (best_score + 3.0), best_contrib[:5]
