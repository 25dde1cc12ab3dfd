"""``/signals feeds add|remove|pause|resume|test``: manage sources from chat.

Admin-only: add/remove/pause/resume change what every channel gets, so they need Signals'
admins wherever they are typed (:func:`require_source_admin`); ``test`` follows the channel's
rule (:func:`require_admin`). Changes are audited by
:mod:`bot.sources.registry`; every URL passes the SSRF guard first and the refusal says
why. Plain ``feeds`` (no action) still lists the sources and their health.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.commands.model import Invocation, Reply, Section
from bot.commands.overrides import require_admin, require_source_admin
from bot.errors import CommandError
from bot.models import FetchState
from bot.settings import Settings, SourceSettings
from bot.store import Store
from bot.store import schema as t

__all__ = ["QUIET", "USAGE", "feeds_command", "feeds_reply"]

QUIET = timedelta(days=14)  # a feed that answers but has had nothing new this long is named as quiet
_BUDGET, _SECTION = 5000, 2400  # characters of source lines per reply, per section (Slack: 3,000 escaped)

USAGE = ("Usage: feeds add URL [every 15m] [name NAME] · feeds remove|pause|resume NAME · feeds test URL")


def feeds_command(settings: Settings, store: Store, inv: Invocation, args: list[str], channel, actor: str) -> Reply:  # type: ignore[no-untyped-def]
    from bot.sources import manage, registry

    action, rest = args[0].lower(), args[1:]
    if action not in ("add", "remove", "pause", "resume", "test"):
        raise CommandError(USAGE)
    if action == "test":  # reads a feed, changes nothing: the channel's own rule
        require_admin(settings, channel, inv.user, inv.platform, inv.workspace)
    else:
        require_source_admin(settings, inv.user, inv.platform, inv.workspace)
    if action == "test":
        if len(rest) != 1:
            raise CommandError("Usage: feeds test URL")
        pv = manage.run_sync(manage.preview(settings, rest[0]))
        lines = [f"{it.importance:.1f}/10 · {it.category}{' · ' + ', '.join(it.topics) if it.topics else ''} — "
                 f"{it.title}" for it in pv.items]
        head = f"{pv.title or pv.url} ({pv.kind}, {pv.entries} items)"
        return Reply(text=head + "\n" + "\n".join(lines), sections=[Section(title=head, url=pv.url, lines=lines)])
    if action == "add":
        if not rest:
            raise CommandError("Usage: feeds add URL [every 15m] [name NAME]")
        url, opts = rest[0], _options(rest[1:])
        change = manage.run_sync(manage.add_from_url(settings, store, url, actor, every=manage.parse_every(
            opts.get("every")), name=opts.get("name")))
        assert change.source is not None
        return Reply(text=f"Added source “{change.name}” ({change.source.url}), polled every "
                          f"{_fmt(change.source.every.total_seconds())} at most, adaptively.", ephemeral=False)
    if not rest:
        raise CommandError(f"Usage: feeds {action} NAME")
    fn = {"remove": registry.remove_source, "pause": registry.pause_source, "resume": registry.resume_source}[action]
    change = fn(settings, store, " ".join(rest), actor)  # a name with spaces, quoted or not
    return Reply(text=f"Source “{change.name}” {change.action}.", ephemeral=False)


def _options(words: list[str]) -> dict[str, str]:
    """``every 15m name Foo`` / ``every=15m`` / ``--every 15m`` / a bare ``15m``."""
    out: dict[str, str] = {}
    i = 0
    while i < len(words):
        w = words[i].lstrip("-")
        if "=" in w:
            k, _, v = w.partition("=")
            out[k.lower()] = v
        elif w.lower() in ("every", "name") and i + 1 < len(words):
            out[w.lower()] = words[i + 1]
            i += 1
        elif "every" not in out and w[:1].isdigit():
            out["every"] = w
        else:
            raise CommandError(f"Unexpected “{words[i]}”. Usage: feeds add URL [every 15m] [name NAME]")
        i += 1
    return out


def _fmt(seconds: float) -> str:
    s = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s and s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def feeds_reply(store: Store, settings: Settings, now: datetime | None = None) -> Reply:
    """Every source's health, the ones needing a person first: paused, failing, then quiet ones.

    Why this order and the cap: a chat answer holds about 5,000 characters (Discord's 6,000 per
    message, Slack's 3,000 per section), some 70 sources. Listed in config order and cut, the
    sources shown were the first of the file, and a paused or failing one further down was not in
    the answer. A feed that still answers but has had nothing new for ``QUIET`` is named too
    ("ok" alone hid it); the rest, all fine, are counted at the end.
    """
    if not settings.sources:
        return Reply(text="No sources are configured.")
    now = now or datetime.now(UTC)
    states = {s.source: s for s in store.fetch_states()}
    newest = _newest_articles(store)
    quiet = settings.source_quiet_after or QUIET  # as the quiet-source notice (bot/routing/quiet.py)
    rows = [_health(src, states.get(src.name), newest.get(src.name), now, quiet) for src in settings.sources]
    rows.sort(key=lambda r: r[0])  # stable: config order within each rank
    lines: list[str] = []
    used = 0
    for i, (rank, line) in enumerate(rows):
        if used + len(line) + 1 > _BUDGET and rank >= 3:
            rest = len(rows) - i
            lines.append(f"+{rest} more, all ok or not fetched yet: `signals sources list` or the web view's "
                         "Sources page lists every one")
            break
        lines.append(line)
        used += len(line) + 1
    n = len(rows)
    sections: list[Section] = []
    for line in lines:
        if not sections or sum(len(x) + 1 for x in sections[-1].lines) + len(line) > _SECTION:
            sections.append(Section(title="Sources" if not sections else "", lines=[]))
        sections[-1].lines.append(line)
    return Reply(text=f"{n} source{'s' * (n != 1)}:\n" + "\n".join(lines), sections=sections)


def _health(src: SourceSettings, st: FetchState | None, newest: datetime | None, now: datetime,
            quiet: timedelta = QUIET) -> tuple[int, str]:
    """``(rank, "name — health")``; rank 0 paused, 1 failing, 2 quiet, 3 the rest."""
    if not src.enabled:
        return 3, f"{src.name} — disabled"
    if st is None or st.last_fetch_at is None:
        return 3, f"{src.name} — not fetched yet"
    if st.paused:
        return 0, f"{src.name} — paused ({st.pause_reason or st.last_error or 'failing'})"
    if st.failures:
        return 1, f"{src.name} — failing ×{st.failures}: {st.last_error or st.last_status}"
    health = f"ok, last {st.last_ok_at:%Y-%m-%d %H:%M} UTC" if st.last_ok_at else "ok"
    if newest is not None and now - newest >= quiet:
        return 2, f"{src.name} — {health}; nothing new for {(now - newest).days} days (since {newest:%Y-%m-%d})"
    return 3, f"{src.name} — {health}"


def _newest_articles(store: Store) -> dict[str, datetime]:
    """When each source's newest stored article arrived (article rows outlive retention)."""
    a = t.articles
    with store.begin() as c:
        rows = c.execute(select(a.c.source, func.max(a.c.fetched_at)).group_by(a.c.source)).all()
    out: dict[str, datetime] = {}
    for name, raw in rows:
        if (at := t.as_utc(raw)) is not None:
            out[name] = at
    return out
