"""Read-only commands: help, search, top, why, feeds, digest. Each returns a neutral Reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.adapters.base import truncate
from bot.commands.explain import explain_story, format_explanation, pruned_after
from bot.commands.feeds import feeds_reply
from bot.commands.model import Reply, Section
from bot.commands.search import search_articles
from bot.errors import CommandError
from bot.models import out_of_ten
from bot.settings import ChannelRules, Settings
from bot.store import Store, StoryRow
from bot.store.query import parse_query

__all__ = ["HELP", "digest_reply", "feeds_reply", "help_reply", "search_reply", "top_reply", "topic_named",
           "unknown_topic", "why_reply"]

HELP = [
    ("help", "this list"),
    ("search QUERY [page N]", "search stored articles: all words, \"a phrase\", a OR b, -word"),
    ("top [24h|7d] [TOPIC]", "the most important stories of the last day or week"),
    ("why STORY", "why a story was scored and routed as it was"),
    ("subscribe TOPIC", "add a topic to this channel"),
    ("unsubscribe TOPIC", "remove a topic from this channel"),
    ("mute TOPIC / unmute TOPIC", "stop (or resume) alerts about a topic here"),
    ("threshold [N|reset]", "show or set this channel's minimum importance (0-10); reset: the config file's"),
    ("topics [reset]", "what this channel follows; reset: the config file's topics"),
    ("feeds", "the sources and their health"),
    ("feeds add URL [every 15m]", "watch a feed (or a site: its feed is found); admins"),
    ("feeds remove|pause|resume NAME", "stop, pause or resume a source; admins"),
    ("feeds test URL", "fetch once and show how the latest items would score"),
    ("digest", "post a digest of the last day's stories here"),
]
WINDOWS = {"24h": timedelta(hours=24), "1d": timedelta(days=1), "7d": timedelta(days=7), "week": timedelta(days=7)}


def topic_named(settings: Settings, name: str) -> str | None:
    """The configured topic called ``name``, ignoring case when that is unambiguous (``AI`` -> ``ai``:
    command words are case-insensitive, so topic names were the one place ``AI`` was "unknown")."""
    if name in settings.topics:
        return name
    same = [t for t in settings.topics if t.casefold() == name.casefold()]
    return same[0] if len(same) == 1 else None


def unknown_topic(settings: Settings, name: str) -> CommandError:
    """"Unknown topic “chps”. Did you mean chips? Topics: ...": with many topics a typo's
    intended one was hard to spot in the list alone."""
    import difflib

    known = sorted(settings.topics)
    folded = {t.casefold(): t for t in known}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
    hint = f" Did you mean {folded[close[0]]}?" if close else ""
    return CommandError(f"Unknown topic “{name}”.{hint} Topics: {', '.join(known) or 'none configured'}")


def help_reply(prefix: str = "/signals") -> Reply:
    lines = [f"{prefix} {cmd} — {what}" for cmd, what in HELP]
    return Reply(text="Signals commands:\n" + "\n".join(lines), sections=[Section(title="Signals commands", lines=lines)])


def _story_section(s: StoryRow, url: str | None, prefer: list[str] | None = None) -> Section:
    """A listed story; its 👍/👎 buttons carry the first of its topics in ``prefer`` (the topic
    asked for, or those the channel follows), else its first topic, so a vote trains the topic
    the list was about."""
    topics = f" · {', '.join(s.topics)}" if s.topics else ""
    n = s.n_sources
    vote = next((x for x in s.topics if x in (prefer or ())), s.topics[0] if s.topics else None)
    return Section(title=s.title, url=url, story_id=s.id, topic=vote,
                   context=f"{out_of_ten(s.importance)}/10 · {s.category or '?'}{topics} · {n} source{'s' * (n != 1)}"
                           f" · {s.first_seen:%Y-%m-%d %H:%M} UTC · id {s.id[:10]}")


def search_reply(store: Store, query: str, limit: int = 5) -> Reply:
    """``search QUERY [page N]``: ``limit`` results a page (five fit Slack's and Discord's limits
    with their snippets); a page with more after it ends with the command for the next one."""
    query, page = _page(query.strip())
    if not query:
        raise CommandError("Usage: search QUERY [page N], e.g. `search nvidia earnings`, "
                           "`search \"bank of america\" -layoffs`, `search nvidia OR tsmc`")
    if parse_query(query).empty:
        raise CommandError(f"“{query}” has only common words (the, of, and…), which search does not index: "
                           "add a word.")
    first = (page - 1) * limit
    hits = search_articles(store, query, limit=limit + 1, offset=first)  # one more: are there more?
    more, hits = len(hits) > limit, hits[:limit]
    if not hits:
        if page == 1:
            return Reply(text=f"No stored article matches “{query}”.")
        total = len(search_articles(store, query, limit=first))
        last = max(1, -(-total // limit))
        return Reply(text=f"No more results for “{query}” ({total} on pages 1–{last}).")
    sections = []
    for h in hits:
        a = h.article
        ctx = f"{a.source} · {_when(a.published_at or a.fetched_at)}" + (f" · story {a.story_id[:10]}" if a.story_id else "")
        sections.append(Section(title=a.title, url=a.url, lines=[truncate(a.text, 200)] if a.text else [],
                                context=ctx, story_id=a.story_id))
    lines = [f"• {s.title} — {s.url}" for s in sections]
    if page == 1:
        head = (f"First {len(hits)} results for “{query}” (more match: add words to narrow it)" if more
                else f"{len(hits)} result{'s' * (len(hits) != 1)} for “{query}”")
    else:
        head = f"Results {first + 1}–{first + len(hits)} for “{query}”" + (" (more match)" if more else "")
    if more:
        lines.append(f"More: `search {query} page {page + 1}`")
        sections.append(Section(title="", lines=[lines[-1]]))
    return Reply(text=f"{head}:\n" + "\n".join(lines), sections=sections)


def _page(query: str) -> tuple[str, int]:
    """``nvidia page 2`` -> (``nvidia``, 2); a page below 1 is an error naming it."""
    words = query.split()
    if len(words) >= 2 and words[-2].lower() == "page":
        try:
            page = int(words[-1])
        except ValueError:
            return query, 1
        if page < 1:
            raise CommandError(f"Pages start at 1 (got “page {words[-1]}”).")
        return " ".join(words[:-2]), page
    return query, 1


def _when(value: datetime | str | None) -> str:
    """``2026-11-24 12:00 UTC``; raw-SQL search rows may carry the stored text instead of a datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value[:16]
    if value is None:
        return "undated"
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _ranked(store: Store, window: timedelta, now: datetime, topic: str | None, min_importance: float = 0.0,
            topics: list[str] | None = None, limit: int = 5) -> list[StoryRow]:
    rows = [s for s in store.stories_since(now - window, limit=2000)
            if s.first_seen >= now - window and s.importance >= min_importance
            and (topic is None or topic in s.topics)
            and (not topics or any(x in s.topics for x in topics))]
    rows.sort(key=lambda s: (-s.importance, -s.n_sources))
    return rows[:limit]


def _url(store: Store, s: StoryRow) -> str | None:
    art = store.article(s.representative_id) if s.representative_id else None
    return art.url if art else None


def top_reply(store: Store, settings: Settings, args: list[str], now: datetime | None = None,
              follows: list[str] | None = None) -> Reply:
    """The most important recent stories (``follows``: the invoking channel's topics, for the buttons)."""
    now = now or datetime.now(UTC)
    window_name, topic = "24h", None
    for a in args:
        if a.lower() in WINDOWS:
            window_name = a.lower()
        elif topic is None:
            topic = a
        else:
            raise CommandError("Usage: top [24h|7d] [TOPIC]")
    if topic is not None and settings.topics:
        if (named := topic_named(settings, topic)) is None:
            raise unknown_topic(settings, topic)
        topic = named
    rows = _ranked(store, WINDOWS[window_name], now, topic)
    label = f"Top stories, last {window_name}" + (f" · {topic}" if topic else "")
    if not rows:
        return Reply(text=f"{label}: nothing stored yet.")
    sections = [_story_section(s, _url(store, s), [topic] if topic else follows) for s in rows]
    text = label + ":\n" + "\n".join(f"{i + 1}. {out_of_ten(s.importance)}/10 {s.title}" for i, s in enumerate(rows))
    return Reply(text=text, sections=sections)


def why_reply(store: Store, story_id: str, channel: str | None, settings: Settings | None = None,
              now: datetime | None = None) -> Reply:
    story_id = story_id.strip()
    if not story_id:
        raise CommandError("Usage: why STORY_ID (the id shown under an alert or by `search`)")
    ex = explain_story(store, story_id)
    if ex is None:
        raise CommandError(f"No story with id “{story_id}”.")
    groups = format_explanation(ex, channel, pruned_after=pruned_after(settings, ex.story, now))
    sections = [Section(title=groups[0][0], url=ex.url, lines=groups[0][1], story_id=ex.story.id)]
    sections += [Section(title=h, lines=lines) for h, lines in groups[1:]]
    text = "\n".join(f"{h}\n" + "\n".join(f"  {x}" for x in lines) for h, lines in groups)
    return Reply(text=text, sections=sections)


def digest_reply(store: Store, rules: ChannelRules | None, now: datetime | None = None) -> Reply:
    """The last day's best stories for this channel, posted in the channel (not ephemeral)."""
    now = now or datetime.now(UTC)
    digest = rules.digest if rules is not None else None
    min_imp = digest.min_importance if digest else 0.0
    limit = digest.max_items if digest else 10
    rows = _ranked(store, timedelta(hours=24), now, None, min_imp, rules.topics if rules else None, limit)
    if not rows:
        return Reply(text="Digest: no stories in the last 24 hours.", ephemeral=True)
    sections = [_story_section(s, _url(store, s), rules.topics if rules else None) for s in rows]
    text = f"Digest, last 24h ({len(rows)}):\n" + "\n".join(
        f"{i + 1}. {out_of_ten(s.importance)}/10 {s.title}" for i, s in enumerate(rows))
    return Reply(text=text, sections=sections, ephemeral=False)
