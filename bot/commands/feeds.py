"""``/signals feeds add|remove|pause|resume|test``: manage sources from chat.

Admin-only under the same rules as other settings (:func:`require_admin`), audited by
:mod:`bot.sources.registry`; every URL passes the SSRF guard first and the refusal says
why. Plain ``feeds`` (no action) still lists the sources and their health.
"""

from __future__ import annotations

from bot.commands.model import Invocation, Reply, Section
from bot.commands.overrides import require_admin
from bot.errors import CommandError
from bot.settings import Settings
from bot.store import Store

__all__ = ["USAGE", "feeds_command"]

USAGE = ("Usage: feeds add URL [every 15m] [name NAME] · feeds remove|pause|resume NAME · feeds test URL")


def feeds_command(settings: Settings, store: Store, inv: Invocation, args: list[str], channel, actor: str) -> Reply:  # type: ignore[no-untyped-def]
    from bot.sources import manage, registry

    action, rest = args[0].lower(), args[1:]
    if action not in ("add", "remove", "pause", "resume", "test"):
        raise CommandError(USAGE)
    require_admin(settings, channel, inv.user, inv.platform, inv.workspace)
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
