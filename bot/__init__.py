"""Signals: watches the news for a team and posts the few stories that matter.

Stages, one package each, driven in order by :mod:`bot.pipeline`:
``ingest`` (fetch, parse, clean) → ``store`` → ``stories`` → ``classifiers`` →
``routing`` → ``outbox`` → ``adapters``.
"""

__version__ = "0.1.0"
