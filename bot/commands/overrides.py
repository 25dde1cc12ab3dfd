"""Runtime settings changed from chat, layered over the config file.

The config file stays the declared baseline; the ``overrides`` table holds what people
changed from Slack or Discord (``topics``, ``min_importance``, ``muted``), one row per
(channel, key). Every change also writes an ``audit`` row. The pipeline asks
:func:`effective_rules` and :func:`muted_topics` for the rules it routes with, and
``signals config show|export`` can print :func:`list_overrides`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, false, insert, select, text, update

from bot.errors import PermissionDenied, StoreError
from bot.settings import ChannelRules, ChannelSettings, Settings
from bot.store import Store
from bot.store import schema as t

__all__ = [
    "KEYS",
    "Override",
    "can_change",
    "effective_rules",
    "get_override",
    "list_overrides",
    "muted_topics",
    "report_shadowed",
    "require_source_admin",
    "set_override",
    "settings_lock",
]

log = logging.getLogger(__name__)

# Keys that may be overridden from chat, and the ChannelRules field each one replaces.
KEYS = {"topics": "topics", "min_importance": "min_importance", "muted": None}


@dataclass(frozen=True, slots=True)
class Override:
    channel: str
    key: str
    value: Any
    by: str
    at: datetime


def list_overrides(store: Store, channel: str | None = None, conn: Connection | None = None) -> list[Override]:
    o = t.overrides
    q = select(o).order_by(o.c.channel, o.c.key)
    if channel is not None:
        q = q.where(o.c.channel == channel)
    if conn is not None:
        return [Override(r.channel, r.key, r.value, r.by, r.at) for r in conn.execute(q)]
    with store.begin() as c:
        return [Override(r.channel, r.key, r.value, r.by, r.at) for r in c.execute(q)]


@contextmanager
def settings_lock(store: Store, channel: str) -> Iterator[Connection]:
    """One transaction that holds ``channel``'s settings until it ends: read, decide, write.

    Why: a command reads the channel's rules, decides (``subscribe chips`` → ``[ai, chips]``)
    and writes. Two people doing that at the same moment both read ``[ai]``: the second write
    dropped the first one's topic while both were told it worked, or both found no override row
    and the second INSERT broke the key, so that user was told the database was down. On
    PostgreSQL a transaction-scoped advisory lock per channel serialises them; on SQLite the
    transaction starts with a write (one that changes no row), which takes the database's write
    lock at once, so the reads after it see the other command's committed change.
    """
    with store.begin() as c:
        if c.dialect.name == "postgresql":
            key = int.from_bytes(hashlib.blake2b(f"settings:{channel}".encode(), digest_size=8).digest(),
                                 "big", signed=True)
            c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        else:
            o = t.overrides
            c.execute(update(o).where(false()).values(channel=o.c.channel))
        yield c


def get_override(store: Store, channel: str, key: str, conn: Connection | None = None) -> Any | None:
    o = t.overrides
    q = select(o.c.value).where(o.c.channel == channel, o.c.key == key)
    if conn is not None:
        return conn.execute(q).scalar()
    with store.begin() as c:
        return c.execute(q).scalar()


def set_override(store: Store, channel: str, key: str, value: Any, actor: str, before: Any,
                 now: datetime | None = None, conn: Connection | None = None) -> None:
    """Store (or with ``value=None`` remove) an override and audit the change, in one transaction
    (``conn``'s, e.g. a :func:`settings_lock` the caller read ``before`` under)."""
    if key not in KEYS:
        raise ValueError(f"unknown override key {key!r}")
    if conn is None:
        with settings_lock(store, channel) as c:
            set_override(store, channel, key, value, actor, before, now, c)
        return
    now = now or datetime.now(UTC)
    o = t.overrides
    here = (o.c.channel == channel, o.c.key == key)
    exists = conn.execute(select(o.c.key).where(*here)).first() is not None
    if value is None:
        conn.execute(delete(o).where(*here))
    elif exists:
        conn.execute(update(o).where(*here).values(value=value, by=actor, at=now))
    else:
        conn.execute(insert(o).values(channel=channel, key=key, value=value, by=actor, at=now))
    conn.execute(insert(t.audit).values(at=now, actor=actor, action=f"set {key}", target=channel,
                                        before=before, after=value))
    log.info("override changed", extra={"channel": channel, "key": key, "actor": actor})


def effective_rules(settings: Settings, store: Store, conn: Connection | None = None) -> dict[str, ChannelRules]:
    """Each channel's rules: the config (channel, then ``defaults``) with chat overrides on top."""
    by_channel: dict[str, dict[str, Any]] = {}
    for ov in list_overrides(store, conn=conn):
        field = KEYS.get(ov.key)
        if field:
            by_channel.setdefault(ov.channel, {})[field] = ov.value
    out: dict[str, ChannelRules] = {}
    for ch in settings.channels:
        rules = settings.rules(ch)
        upd = by_channel.get(ch.name)
        if upd:
            rules = ChannelRules.model_validate({**rules.model_dump(), **upd})
        out[ch.name] = rules
    return out


def muted_topics(store: Store) -> dict[str, frozenset[str]]:
    """Topics muted per channel (for ``plan_story(muted=...)``)."""
    return {ov.channel: frozenset(ov.value or []) for ov in list_overrides(store) if ov.key == "muted"}


def can_change(settings: Settings, channel: ChannelSettings | None, user: str, platform: str,
               workspace: str | None = None) -> bool:
    """Admins: the channel's ``admins`` (or ``defaults.admins``), else the global list; empty = anyone.

    An entry matches the bare user id (``U0123``), ``platform:id`` (``slack:U0123``) or, to
    scope it to one Slack workspace or Discord guild, ``platform:workspace:id``
    (``slack:T0123:U0123``, ``discord:GUILD_ID:USER_ID``), which matches only there.
    """
    admins: list[str] = []
    if channel is not None:
        admins = list(settings.rules(channel).admins or [])
    admins = admins or list(settings.admins)
    if channel is None and not admins:  # a DM or a channel not in the config: see _anywhere
        admins = _anywhere(settings)
    if not admins:
        return True
    mine = {user, f"{platform}:{user}"} | ({f"{platform}:{workspace}:{user}"} if workspace else set())
    return not mine.isdisjoint(admins)


def _anywhere(settings: Settings) -> list[str]:
    """Every admin list of the config (``defaults`` and each channel's), for a command from no
    configured channel. Why: such a command (``feeds remove``, ``feeds add`` from a DM) changes
    what every channel gets; with each channel naming its admins and no global list, it was
    checked against no list at all, so any member could remove or pause a source from a DM."""
    lists = [settings.defaults.admins or [], *(ch.admins or [] for ch in settings.channels)]
    return [a for admins in lists for a in admins]


def require_admin(settings: Settings, channel: ChannelSettings | None, user: str, platform: str,
                  workspace: str | None = None) -> None:
    if not can_change(settings, channel, user, platform, workspace):
        raise PermissionDenied("Only this channel's admins can change its settings.")


def require_source_admin(settings: Settings, user: str, platform: str, workspace: str | None = None) -> None:
    """Adding, removing, pausing or resuming a source changes what every channel gets, so it is
    checked as from no channel (the rule a DM gets, :func:`_anywhere`): the global ``admins``,
    else any admin the config names (``defaults`` or any channel's); anyone only when no admins
    are configured anywhere. Why: checked against the typing channel's list, a configured channel
    naming no admins let any of its members remove a source that another, locked channel relies on."""
    if not can_change(settings, None, user, platform, workspace):
        raise PermissionDenied("Only Signals' admins can change sources: they feed every channel.")


def report_shadowed(old: Settings, new: Settings, store: Store, path: str | None = None) -> list[str]:
    """Log (WARNING) each setting a reloaded file changes that a chat change outranks; return the lines.

    Why: a channel's ``topics``/``min_importance`` set from chat stay in force over the file
    (the channel's people decided; the file is the baseline), so an operator who edits that
    key sees "config reloaded" and nothing changes. Each line names the file, the channel,
    both values and who set the chat one, once per edit of that key.
    """
    before = {ch.name: old.rules(ch) for ch in old.channels}
    try:
        chat = {(ov.channel, ov.key): ov for ov in list_overrides(store) if KEYS.get(ov.key)}
    except StoreError as exc:  # a report only: the reload itself must not fail on it
        log.warning("could not compare the reloaded config with chat settings: %s", exc)
        return []
    lines = []
    for ch in new.channels:
        rules = new.rules(ch)
        for key, field in KEYS.items():
            ov = chat.get((ch.name, key))
            if field is None or ov is None or ch.name not in before:
                continue
            was, now = getattr(before[ch.name], field), getattr(rules, field)
            if was == now:
                continue
            lines.append(f"{path or 'the config file'}: channel {ch.name}: the file now sets {key} {_show(now)}, "
                         f"but {_show(ov.value)} set from chat by {ov.by} on {ov.at:%Y-%m-%d %H:%M} UTC outranks "
                         f"it and stays in force (change it from chat; `signals config show` lists chat settings)")
    for line in lines:
        log.warning(line, extra={"path": path})
    return lines


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return f"{value:g}" if isinstance(value, float | int) and not isinstance(value, bool) else str(value)
