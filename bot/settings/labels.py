"""The category and event names that channel rules filter on, as the classifiers write them.

A name that is not one of these (``categories: [tech]`` where the badge says ``Tech``) matched no
story, so the channel silently got nothing: the loader reports it at its line instead. Kept here,
not imported from ``classifiers`` (a test keeps the two equal), so loading a config does not load
numpy and the models.
"""

from __future__ import annotations

__all__ = ["CATEGORIES", "EVENTS"]

EVENTS = ("acquisition", "funding", "earnings", "product_launch", "partnership", "regulation", "legal",
          "security_incident", "layoffs", "executive_change", "research", "strategy", "other")
CATEGORIES = ("Industry", "Funding & M&A", "Earnings", "Product", "Policy", "Legal", "Security", "People", "Research",
              "Tech", "World", "Sports", "Entertainment", "Health", "General")
