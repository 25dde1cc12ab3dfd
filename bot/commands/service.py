"""The command logic shared by Slack and Discord: parse, check permissions, run, answer.

Adapters only translate: platform request → :class:`Invocation`, :class:`Reply` →
platform markup. Everything a command does (search, settings overrides with audit,
feedback rows) lives here, so both platforms behave the same and are tested once.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from bot.commands import queries
from bot.commands.model import FeedbackResult, Invocation, Reply
from bot.commands.overrides import (
    Override,
    effective_rules,
    get_override,
    list_overrides,
    require_admin,
    set_override,
    settings_lock,
)
from bot.errors import CommandError, StoreError
from bot.settings import ChannelSettings, Settings
from bot.store import Store
from bot.store import schema as t

__all__ = ["CommandService"]

log = logging.getLogger(__name__)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


class CommandService:
    """``CommandService(settings, store).run(Invocation(text="search nvidia", user="U1", ...))``."""

    def __init__(self, settings: Settings, store: Store, prefix: str = "/signals",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.settings = settings
        self.store = store
        self.prefix = prefix
        self.clock = clock

    def use_settings(self, settings: Settings) -> None:
        """Answer from reloaded settings from now on (the config file was edited)."""
        self.settings = settings

    # -- channels ---------------------------------------------------------------------
    def resolve_channel(self, platform: str, platform_channel: str | None) -> str | None:
        """The config channel whose ``slack:``/``discord:`` id is ``platform_channel``."""
        if not platform_channel:
            return None
        for ch in self.settings.channels:
            if str(getattr(ch, platform, None) or "") == str(platform_channel):
                return ch.name
        return None

    def _channel(self, inv: Invocation) -> ChannelSettings | None:
        name = inv.channel or self.resolve_channel(inv.platform, inv.platform_channel)
        if name is None:
            return None
        try:
            return self.settings.channel(name)
        except KeyError:
            return None

    def _need_channel(self, inv: Invocation) -> ChannelSettings:
        ch = self._channel(inv)
        if ch is None and _direct_message(inv):
            raise CommandError("Settings belong to a channel, and this is a direct message: run the command in "
                               "the channel whose settings you want to change.")
        if ch is None:
            raise CommandError("This channel is not configured in Signals. Add it under `channels:` in the "
                               "config (e.g. `slack: C0123`) to change its settings here.")
        return ch

    # -- entry point ------------------------------------------------------------------
    def run(self, inv: Invocation) -> Reply:
        """Run one command. User mistakes come back as an ephemeral error Reply, never raise."""
        try:
            return self._run(inv)
        except CommandError as exc:
            return Reply(text=str(exc), error=True)
        except StoreError as exc:
            log.error("command failed: %s", exc, extra={"command": inv.text[:80], "platform": inv.platform})
            return Reply(text="Sorry, the database is not available right now. Try again in a minute.", error=True)

    def _run(self, inv: Invocation) -> Reply:
        try:  # typographic quotes (phones, macOS) group words as straight ones do
            words = shlex.split(inv.text.strip().translate(_QUOTES))
        except ValueError:
            words = inv.text.split()
        if not words:
            return queries.help_reply(self.prefix)
        cmd, args = words[0].lower(), words[1:]
        rest = inv.text.strip()[len(words[0]):].strip()
        ch = self._channel(inv)
        if cmd == "help":
            return queries.help_reply(self.prefix)
        if cmd == "search":
            return queries.search_reply(self.store, rest)
        if cmd == "top":
            follows = effective_rules(self.settings, self.store)[ch.name].topics if ch else None
            return queries.top_reply(self.store, self.settings, args, self.clock(), follows)
        if cmd == "why":
            return queries.why_reply(self.store, args[0] if args else "", ch.name if ch else None, self.settings,
                                     self.clock())
        if cmd in ("feeds", "sources"):
            if args:  # add|remove|pause|resume|test: bot.commands.feeds
                from bot.commands.feeds import feeds_command

                return feeds_command(self.settings, self.store, inv, args, ch, self._actor(inv))
            from bot.sources.registry import effective_sources

            return queries.feeds_reply(self.store, self.settings.model_copy(
                update={"sources": effective_sources(self.settings, self.store)}), self.clock())
        if cmd == "digest":
            rules = effective_rules(self.settings, self.store).get(ch.name) if ch else None
            return queries.digest_reply(self.store, rules, self.clock())
        if cmd in ("subscribe", "unsubscribe"):
            return self._topics(inv, cmd == "subscribe", self._topic_arg(args, cmd))
        if cmd in ("mute", "unmute"):
            return self.mute(inv, self._topic_arg(args, cmd), mute=cmd == "mute")
        if cmd == "threshold":
            return self._threshold(inv, args)
        if cmd == "topics":
            return self._topics_command(inv, args)
        raise CommandError(f"Unknown command “{cmd}”. Try `{self.prefix} help`.")

    def _topic_arg(self, args: list[str], cmd: str) -> str:
        if len(args) != 1:
            raise CommandError(f"Usage: {cmd} TOPIC")
        topic = queries.topic_named(self.settings, args[0])
        if topic is None:
            raise queries.unknown_topic(self.settings, args[0])
        return topic

    def _actor(self, inv: Invocation) -> str:
        return f"{inv.platform}:{inv.user}"

    # -- settings ---------------------------------------------------------------------
    def _topics(self, inv: Invocation, add: bool, topic: str) -> Reply:
        ch = self._need_channel(inv)
        require_admin(self.settings, ch, inv.user, inv.platform, inv.workspace)
        with settings_lock(self.store, ch.name) as c:  # read and write as one change (two users at once)
            rules = effective_rules(self.settings, self.store, c)[ch.name]
            before = list(rules.topics or [])
            if add and topic in before:
                return Reply(text=f"#{ch.name} already follows {topic}.")
            if not add and topic not in before:
                return Reply(text=f"#{ch.name} does not follow {topic}.")
            after = [*before, topic] if add else [x for x in before if x != topic]
            if not after:  # an empty list means "no topic filter": the channel would get *more* alerts
                raise CommandError(
                    f"#{ch.name} follows only {topic}; without a topic it would get every story at or above "
                    f"{rules.min_importance:g}/10. Subscribe another topic first, raise the threshold "
                    f"(`{self.prefix} threshold N`), or `{self.prefix} mute {topic}` to pause its alerts here.")
            set_override(self.store, ch.name, "topics", after, self._actor(inv), before, self.clock(), c)
        verb = "now follows" if add else "no longer follows"
        return Reply(text=f"#{ch.name} {verb} {topic}. Topics: {', '.join(after)}", ephemeral=False)

    def _threshold(self, inv: Invocation, args: list[str]) -> Reply:
        ch = self._need_channel(inv)
        if not args:
            return Reply(text=self._threshold_now(ch))
        if len(args) > 1:
            raise CommandError("Usage: threshold N, with N between 0 and 10, or `threshold reset`")
        if args[0].lower() == "reset":
            return self._reset(inv, ch, "min_importance")
        value = _importance(args[0])
        require_admin(self.settings, ch, inv.user, inv.platform, inv.workspace)
        with settings_lock(self.store, ch.name) as c:  # "was N" is the value this change replaced
            current = effective_rules(self.settings, self.store, c)[ch.name].min_importance
            shown = _threshold_of(current)
            if current == value:
                return Reply(text=f"#{ch.name} already alerts on importance ≥ {value:g}/10.")
            set_override(self.store, ch.name, "min_importance", value, self._actor(inv), current, self.clock(), c)
        return Reply(text=f"#{ch.name} now alerts on importance ≥ {value:g}/10 (was {shown:g}).", ephemeral=False)

    def _threshold_now(self, ch: ChannelSettings) -> str:
        """``#news alerts on importance ≥ 7/10 (set from chat) since … by slack:U1; the config file says 8.``:
        a chat setting outranks the file, so the file's own value is named when it differs."""
        in_file = _threshold_of(self.settings.rules(ch).min_importance)
        ov = self._chat_setting(ch, "min_importance")
        if ov is None:
            return f"#{ch.name} alerts on importance ≥ {in_file:g}/10 (config)."
        note = f"; the config file says {in_file:g}" if in_file != ov.value else ""
        return (f"#{ch.name} alerts on importance ≥ {ov.value:g}/10 (set from chat) since "
                f"{ov.at:%Y-%m-%d %H:%M} UTC by {ov.by}{note}.")

    def _topics_command(self, inv: Invocation, args: list[str]) -> Reply:
        """``topics``: what this channel follows and from where; ``topics reset``: the file's list."""
        ch = self._need_channel(inv)
        if args and len(args) == 1 and args[0].lower() == "reset":
            return self._reset(inv, ch, "topics")
        if args:
            raise CommandError("Usage: topics, or `topics reset` (subscribe/unsubscribe TOPIC change them)")
        in_file = _topic_list(self.settings.rules(ch).topics)
        ov = self._chat_setting(ch, "topics")
        if ov is None:
            return Reply(text=f"#{ch.name} follows {in_file} (config).")
        return Reply(text=f"#{ch.name} follows {_topic_list(ov.value)} (set from chat by {ov.by}; "
                          f"the config file: {in_file}).")

    def _chat_setting(self, ch: ChannelSettings, key: str) -> Override | None:
        """The channel's override of ``key`` set from chat (value, who, when), or None."""
        return next((ov for ov in list_overrides(self.store, ch.name) if ov.key == key), None)

    def _reset(self, inv: Invocation, ch: ChannelSettings, key: str) -> Reply:
        """Drop this channel's chat setting ``key``: the config file's value applies again, and
        later edits of the file take effect (a chat setting outranks them)."""
        require_admin(self.settings, ch, inv.user, inv.platform, inv.workspace)
        file_rules = self.settings.rules(ch)
        if key == "topics":
            what, in_file = "topics", _topic_list(file_rules.topics)
        else:
            in_file = f"{_threshold_of(file_rules.min_importance):g}/10"
        with settings_lock(self.store, ch.name) as c:
            before = get_override(self.store, ch.name, key, c)
            if before is None:
                if key == "topics":
                    return Reply(text=f"#{ch.name} already follows the config file's {what}: {in_file}.")
                return Reply(text=f"#{ch.name} already follows the config file: importance ≥ {in_file}.")
            set_override(self.store, ch.name, key, None, self._actor(inv), before, self.clock(), c)
        if key == "topics":
            return Reply(text=f"#{ch.name} follows the config file's topics again: {in_file} "
                              f"(was {_topic_list(before)}, set from chat).", ephemeral=False)
        return Reply(text=f"#{ch.name} alerts on importance ≥ {in_file} again, the config file's value "
                          f"(was {before:g}, set from chat).", ephemeral=False)

    def mute(self, inv: Invocation, topic: str, mute: bool = True) -> Reply:
        """Mute (or unmute) a topic in the invoking channel: alerts about it stop there."""
        ch = self._need_channel(inv)
        require_admin(self.settings, ch, inv.user, inv.platform, inv.workspace)
        with settings_lock(self.store, ch.name) as c:
            before = list(get_override(self.store, ch.name, "muted", c) or [])
            if mute == (topic in before):
                return Reply(text=f"{topic} is {'already' if mute else 'not'} muted in #{ch.name}.")
            after = [*before, topic] if mute else [x for x in before if x != topic]
            set_override(self.store, ch.name, "muted", after or None, self._actor(inv), before, self.clock(), c)
        return Reply(text=f"{topic} is {'muted' if mute else 'unmuted'} in #{ch.name}.", ephemeral=False)

    # -- feedback ---------------------------------------------------------------------
    def feedback(self, story_id: str, user: str, label: int | str, channel: str | None = None,
                 topic: str | None = None) -> FeedbackResult:
        """Record 👍 (+1) / 👎 (-1) once per (story, user, topic); a second click changes the vote.

        Raises :class:`CommandError` for an unknown story or label.
        """
        value = _label(label)
        row = self.store.story(story_id)
        if row is None:
            raise CommandError(f"No story with id “{story_id}”.")
        topic = topic or None
        f = t.feedback
        now = self.clock()
        where = [f.c.story_id == row.id, f.c.user == user,
                 f.c.topic.is_(None) if topic is None else f.c.topic == topic]
        changed = True
        try:
            with self.store.begin() as c:
                old = c.execute(select(f.c.id, f.c.label).where(*where)).first()
                if old is None:
                    c.execute(insert(f).values(story_id=row.id, topic=topic, channel=channel, user=user,
                                               label=value, at=now))
                elif old.label != value:
                    # a changed vote is a new row (a new id), never an update in place: the scorers
                    # that follow the table (StoryScorer.sync_feedback) see new ids and a count
                    c.execute(delete(f).where(f.c.id == old.id))
                    c.execute(insert(f).values(story_id=row.id, topic=topic, channel=channel, user=user,
                                               label=value, at=now))
                else:
                    changed = False
        except StoreError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            changed = False  # a concurrent identical click won the race
        with self.store.begin() as c:
            q = select(f.c.user, f.c.label).where(f.c.story_id == row.id).order_by(f.c.id)
            if channel is not None:
                q = q.where(f.c.channel == channel)
            votes = c.execute(q).all()
        up = list(dict.fromkeys(u for u, lab in votes if lab > 0))
        down = list(dict.fromkeys(u for u, lab in votes if lab < 0 and u not in up))
        log.info("feedback recorded", extra={"story_id": row.id, "label": value, "topic": topic, "changed": changed})
        return FeedbackResult(story_id=row.id, label=value, changed=changed, up=up, down=down)


def _threshold_of(value: float | None) -> float:
    """A channel's min_importance as routing applies it: its own, else routing's default."""
    from bot.routing.rules import DEFAULT_MIN_IMPORTANCE

    return value if value is not None else DEFAULT_MIN_IMPORTANCE


def _topic_list(topics: list[str] | None) -> str:
    """``ai, chips``; no list (or an empty one) is no topic filter: every topic."""
    return ", ".join(topics) if topics else "every topic"


def _direct_message(inv: Invocation) -> bool:
    """A Slack DM (channel id ``D…``) or a Discord DM (no guild): telling the user to add it under
    ``channels:`` in the config, as for an unconfigured channel, pointed the wrong way."""
    if inv.platform == "slack":
        return (inv.platform_channel or "").startswith("D")
    return inv.platform == "discord" and inv.workspace is None and inv.platform_channel is not None


def _importance(arg: str) -> float:
    """``7``, ``7.5``, ``7,5`` or ``7/10`` (as alerts show importance) -> 7.0; else a CommandError naming it."""
    text = arg.strip()
    text = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    try:
        value = float(text.removesuffix("/10"))
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 10:  # also nan and inf
        raise CommandError(f"“{arg}” is not a threshold: give a number between 0 and 10, e.g. `threshold 7` "
                           "(alerts show importance as 7/10).")
    return value


def _label(label: int | str) -> int:
    if isinstance(label, str):
        key = label.strip().lower()
        table = {"up": 1, "+1": 1, "1": 1, "useful": 1, "👍": 1, "down": -1, "-1": -1, "not": -1, "👎": -1}
        if key not in table:
            raise CommandError(f"Feedback must be up or down, got “{label}”.")
        return table[key]
    if label not in (1, -1):
        raise CommandError(f"Feedback must be +1 or -1, got {label}.")
    return label
