"""Sources that manage themselves: OPML, runtime add/remove, discovery, adaptive polling, WebSub push.

* :mod:`.registry` — sources added/removed/paused at runtime over the config file;
  :func:`effective_sources` is what gets polled.
* :mod:`.opml` — import/export; :mod:`.discovery` — site URL → feeds.
* :mod:`.adaptive` — pure functions: publishing history + cache hints → next interval.
* :mod:`.observe`, :mod:`.runtime` — what the pipeline calls around each poll.
* :mod:`.websub`, :mod:`.web` — push subscriptions and the ``/websub/{id}`` callback.
"""

from bot.sources.registry import effective_sources, export_sources

__all__ = ["effective_sources", "export_sources"]
