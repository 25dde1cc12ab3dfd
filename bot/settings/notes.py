"""Notes on a valid config: settings that load but rarely mean what they do (quiet hours with no
timezone, a site's home page as a feed).

``signals config check`` prints them under its 'ok' line, each with file:line: key, and keeps
exit code 0: the value is legal and may be meant, so refusing it would be wrong, but saying
nothing let a team in New York run quiet hours in UTC (alerts from 17:00 held, 02:00 ones
posted) with the check's 'ok' as the only answer.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.errors import ConfigIssue
from bot.settings.loader import Path_, _key, _line_for, rule_holders
from bot.settings.schema import Settings

__all__ = ["config_notes"]


def config_notes(settings: Settings, file: str, lines: dict[Path_, int]) -> list[ConfigIssue]:
    """The notes for ``settings``, loaded from ``file`` whose keys are on ``lines`` (the loader's
    map: :func:`~bot.settings.loader.load_settings` with ``notes=``)."""
    out = _home_pages(settings, file, lines)
    if ("timezone",) in lines:
        return out  # a zone was chosen for the whole file
    for at, rules in rule_holders(settings):
        if (*at, "quiet_hours") in lines and not (rules.timezone or settings.defaults.timezone):
            loc = (*at, "quiet_hours")
            out.append(ConfigIssue(file, _line_for(loc, lines), _key(loc),
                                   f"read in UTC ({rules.quiet_hours} UTC), as no timezone is set: add "
                                   "timezone: Europe/London (your IANA zone) at the top of the file, or on this "
                                   "channel; timezone: UTC says UTC is meant"))
    return out


_HOME = re.compile(r"^/?(?:index\.(?:html?|php))?$", re.I)


def _home_pages(settings: Settings, file: str, lines: dict[Path_, int]) -> list[ConfigIssue]:
    """Sources whose address is a site's home page (no path, or /index.html): their first poll
    fails with 'got an HTML page'. Said here without a request (the check reads no network);
    a feed served at a site's root is rare enough for a note to be right more often than not."""
    out: list[ConfigIssue] = []
    for i, src in enumerate(settings.sources):
        parts = urlsplit(src.url)
        if _HOME.match(parts.path) and not parts.query:
            loc = ("sources", i, "url")
            out.append(ConfigIssue(file, _line_for(loc, lines), _key(loc),
                                   f"{src.url} looks like a site's home page, not its feed: find the feed with "
                                   f"signals sources discover {src.url}"))
    return out
