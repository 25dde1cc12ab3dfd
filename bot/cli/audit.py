"""``signals audit [--since 7d] [--format text|jsonl]``: who changed what, when, from what to what.

Every change made from chat (thresholds, subscriptions, mutes, feeds) writes a row to
the ``audit`` table in the same transaction as the change itself (see
:mod:`bot.commands.overrides`). This command is the operator's way to read it back:
oldest first, one line per change (or one JSON object per line for tools).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["AuditRow", "read_audit", "register"]


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    target: str
    before: Any
    after: Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="list changes made from chat: who, when, action, target, before → after")
    p.add_argument("--since", default="7d", help="how far back (e.g. 24h, 7d, 30d; default 7d)")
    p.add_argument("--format", choices=["text", "jsonl"], default="text", help="output format")
    p.add_argument("--actor", default=None, help="only changes by this user")
    p.add_argument("--target", default=None, help="only changes to this channel/target")
    p.add_argument("--db", default=None, help="database URL (default: $SIGNALS_DATABASE_URL or the config's)")
    p.add_argument("--config", default=None, help="config file, for its database_url (optional)")
    p.set_defaults(func=_audit)


def read_audit(store: Any, since: datetime, actor: str | None = None, target: str | None = None) -> list[AuditRow]:
    """Audit rows at or after ``since``, oldest first."""
    from sqlalchemy import select

    from bot.store import schema as t

    a = t.audit
    q = select(a).where(a.c.at >= since)
    if actor:
        q = q.where(a.c.actor == actor)
    if target:
        q = q.where(a.c.target == target)
    with store.begin() as c:
        rows = c.execute(q.order_by(a.c.at, a.c.id)).all()
    return [AuditRow(at=r.at, actor=r.actor, action=r.action, target=r.target, before=r.before, after=r.after)
            for r in rows]


def _db_url(args: argparse.Namespace) -> str | None:
    if args.db or os.environ.get("SIGNALS_DATABASE_URL"):
        return args.db or os.environ.get("SIGNALS_DATABASE_URL")
    if args.config or os.environ.get("SIGNALS_CONFIG"):
        from bot.settings import load_settings

        return load_settings(args.config).database_url
    return None


def _value(v: Any) -> str:
    return "(unset)" if v is None else json.dumps(v, ensure_ascii=False, default=str)


def _audit(args: argparse.Namespace) -> int:
    from bot.errors import CommandError
    from bot.settings import parse_duration
    from bot.store import Store

    try:
        since = datetime.now(UTC) - parse_duration(args.since)
    except ValueError as exc:
        raise CommandError(f"--since: {exc}") from exc
    store = Store.open(_db_url(args))
    try:
        rows = read_audit(store, since, args.actor, args.target)
    finally:
        store.close()
    for r in rows:
        if args.format == "jsonl":
            print(json.dumps({**asdict(r), "at": r.at.isoformat()}, ensure_ascii=False, default=str))
        else:
            print(f"{r.at:%Y-%m-%d %H:%M:%S} UTC  {r.actor}  {r.action}  {r.target}: "
                  f"{_value(r.before)} → {_value(r.after)}")
    if not rows and args.format == "text":
        print(f"no changes since {since:%Y-%m-%d %H:%M} UTC")
    return 0
