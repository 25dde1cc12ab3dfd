"""Read YAML config into :class:`Settings`, reporting every problem with file, line and key.

YAML is composed into nodes first so each key path keeps its line number; pydantic's
error locations are then mapped back to those lines. ``${VAR}`` in any string value is
replaced from the environment (secrets never live in the file). A key repeated in one
mapping, an empty value where a section is expected, a ``!!python`` tag and a misspelt key
(with the nearest valid one suggested) are reported the same way, never as a traceback.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from bot.errors import ConfigError, ConfigIssue
from bot.settings.labels import CATEGORIES, EVENTS
from bot.settings.schema import ChannelRules, Settings
from bot.settings.topics import topic_issues

__all__ = ["DEFAULT_CONFIG", "config_path", "load_settings", "rule_holders", "settings_from_mapping"]

DEFAULT_CONFIG = Path("config/signals.yaml")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")

Path_ = tuple[str | int, ...]


_MERGE = "tag:yaml.org,2002:merge"
# PyYAML's words for a line indented out of step: they name no cause a new user would recognise
_INDENT_PROBLEMS = ("mapping values are not allowed here", "expected <block end>", "did not find expected key",
                    "did not find expected '-' indicator")
_PLAIN = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], issues: list[tuple[Path_, int, str]]) -> Any:
    """Turn a YAML node into plain data, recording the 1-based line of every path.

    Scalars go through PyYAML's safe constructor, so an empty value is ``None`` and a
    ``!!python/...`` or unknown tag raises ``ConstructorError`` (with its mark). A key
    given twice in one mapping is appended to ``issues``: plain YAML keeps the last one
    silently, which dropped a whole ``topics:`` block or hid a threshold edit. Merge keys
    (``<<: *base``) are resolved first; a key set next to them overrides them, as in YAML.
    """
    lines.setdefault(path, node.start_mark.line + 1)
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN:  # e.g. !!python/object/apply
        raise yaml.constructor.ConstructorError(None, None, f"unsupported tag {node.tag!r}", node.start_mark)
    if isinstance(node, yaml.MappingNode):
        own = sum(1 for k, _ in node.value if k.tag != _MERGE)
        yaml.constructor.SafeConstructor().flatten_mapping(node)
        inherited = len(node.value) - own
        out: dict[Any, Any] = {}
        first: dict[Any, int] = {}  # line of each key written in this mapping itself
        for i, (k, v) in enumerate(node.value):
            if not isinstance(k, yaml.ScalarNode):
                issues.append((path, k.start_mark.line + 1, "a key must be a plain name, not a list or mapping"))
                continue
            key, line = k.value, k.start_mark.line + 1
            if i >= inherited:
                if key in first:
                    issues.append(((*path, key), line, f"repeated key: already set on line {first[key]}; "
                                                       "YAML would silently keep only this one"))
                first.setdefault(key, line)
            lines[(*path, key)] = line
            out[key] = _walk(v, (*path, key), lines, issues)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(v, (*path, i), lines, issues) for i, v in enumerate(node.value)]
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def _substitute(data: Any, path: Path_, issues: list[tuple[Path_, str]]) -> Any:
    if isinstance(data, dict):
        return {k: _substitute(v, (*path, k), issues) for k, v in data.items()}
    if isinstance(data, list):
        return [_substitute(v, (*path, i), issues) for i, v in enumerate(data)]
    if isinstance(data, str) and "${" in data:
        def repl(m: re.Match[str]) -> str:
            val = os.environ.get(m.group(1), m.group(2))
            if val is None:
                issues.append((path, f"environment variable {m.group(1)} is not set: export {m.group(1)}=... before"
                                     f" starting Signals (or put it in $SIGNALS_SECRETS_FILE), or write"
                                     f" ${{{m.group(1)}:-default}} for a value to use when it is unset"))
                return ""
            return val
        return _ENV.sub(repl, data)
    return data


def _line_for(loc: Path_, lines: dict[Path_, int]) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _key(loc: Path_) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def settings_from_mapping(data: Any, file: str = "<config>", lines: dict[Path_, int] | None = None) -> Settings:
    """Validate already-parsed data; used by the loader and by tests."""
    lines = lines or {}
    issues: list[ConfigIssue] = []
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue(file, 1, "", "expected a mapping with sources, topics and channels")])
    env_issues: list[tuple[Path_, str]] = []
    data = _substitute(data, (), env_issues)
    issues += [ConfigIssue(file, _line_for(p, lines), _key(p), m) for p, m in env_issues]
    dups = _duplicate_names(data, file, lines)
    issues += dups
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            msg = err["msg"].removeprefix("Value error, ")
            if dups and " names must be unique" in msg:
                continue  # reported above at the repeat's own line
            if any(p[:2] == loc[:2] and len(loc) == 2 for p, _ in env_issues) and "needs a destination" in msg:
                continue  # its destination is an unset ${VAR}, reported above: it has one
            if err["type"] == "extra_forbidden":
                msg = _unknown_key(loc)
            elif err["type"] == "list_type" and isinstance(err.get("input"), str) and loc:
                items = ", ".join(x.strip() for x in err["input"].split(",") if x.strip())
                msg = f"expected a list: write {loc[-1]}: [{items}]"
            elif err["type"] == "missing":
                msg = _REQUIRED.get(str(loc[-1]) if loc else "", "required: this key must be set")
            elif err.get("input", 0) is None and err["type"] != "missing":
                msg = f"{msg} (the value is empty)"
            elif "input" in err and err["type"] not in ("missing",) and not isinstance(err["input"], dict | list) \
                    and not (loc and loc[-1] in _SECRET_KEYS) and repr(err["input"]) not in msg:  # said once
                msg = f"{msg} (got {err['input']!r})"
            issues.append(ConfigIssue(file, _line_for(loc, lines), _key(loc), msg))
        raise ConfigError(issues) from exc
    issues += _cross_checks(settings, file, lines)
    if issues:
        raise ConfigError(issues)
    return settings


def _duplicate_names(data: dict[Any, Any], file: str, lines: dict[Path_, int]) -> list[ConfigIssue]:
    """A second source or channel with a name already used, at the repeat's line and key. The
    schema's own check has no position, so it was reported at line 1 of the file."""
    out: list[ConfigIssue] = []
    for section, kind in (("sources", "source"), ("channels", "channel")):
        seen: dict[Any, int] = {}
        items = data.get(section)
        for i, item in enumerate(items if isinstance(items, list) else []):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str | int):
                continue
            loc: Path_ = (section, i, "name")
            if name in seen:
                first = lines.get((section, seen[name], "name"))
                out.append(ConfigIssue(file, _line_for(loc, lines), _key(loc),
                                       f"another {kind} is already named {name!r}"
                                       + (f" (line {first})" if first else "") + f"; {kind} names must be unique"))
            else:
                seen[name] = i
    return out


# what pydantic calls 'Field required', said as what to write
_REQUIRED = {
    "keywords": "required: a topic needs the words that make a story on-topic, e.g. keywords: [nvidia, gpu, ai chip]",
    "name": "required: give it a name: (unique; shown on alerts and used by commands)",
    "url": "required: the feed's address, e.g. url: https://example.com/feed.xml "
           "(signals sources discover SITE finds a site's feeds)",
}
_SECRET_KEYS = frozenset({"webhook", "discord_webhook"})  # URLs that carry a token: never echoed in errors


def _unknown_key(loc: Path_) -> str:
    """``unknown key``, with the closest key valid at that place when one is near (``treshold``)."""
    near = difflib.get_close_matches(str(loc[-1]), _fields_at(loc[:-1]), n=1, cutoff=0.75) if loc else []
    return f"unknown key: did you mean “{near[0]}”?" if near else "unknown key (check its spelling and indentation)"


def _fields_at(loc: Path_) -> list[str]:
    """The keys the schema allows in the mapping at ``loc`` (``("topics", "ai")`` -> TopicSettings')."""
    tp: Any = Settings
    for part in (*loc, None):
        while get_origin(tp) in (Union, UnionType, Annotated):
            args = [a for a in get_args(tp) if a is not type(None)]
            tp = args[0] if args else None
        if part is None:
            break
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            tp = field.annotation if field else None
        elif get_origin(tp) in (list, dict):
            tp = get_args(tp)[-1]
        else:
            return []
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def rule_holders(s: Settings) -> list[tuple[Path_, ChannelRules]]:
    """The rules under ``defaults:`` and each channel's, with their place in the file: read the same way."""
    return [(("defaults",), s.defaults), *((("channels", i), ch) for i, ch in enumerate(s.channels))]


def _cross_checks(s: Settings, file: str, lines: dict[Path_, int]) -> list[ConfigIssue]:
    out = [ConfigIssue(file, _line_for(loc, lines), _key(loc), msg) for loc, msg in topic_issues(s.topics)]
    known = set(s.topics)
    source_names = {src.name for src in s.sources}
    for at, rules in rule_holders(s):
        for j, t in enumerate(rules.topics or []):
            if t not in known:
                loc: Path_ = (*at, "topics", j)
                out.append(ConfigIssue(file, _line_for(loc, lines), _key(loc),
                                       f"unknown topic {t!r}; defined topics: {', '.join(sorted(known)) or 'none'}"))
        for field, names in (("categories", CATEGORIES), ("exclude_categories", CATEGORIES),
                             ("events", EVENTS), ("exclude_events", EVENTS)):
            for j, name in enumerate(getattr(rules, field) or []):
                if name not in names:
                    loc = (*at, field, j)
                    out.append(ConfigIssue(file, _line_for(loc, lines), _key(loc), _unknown_label(field, name, names)))
        for field in ("sources", "exclude_sources"):
            for j, name in enumerate(getattr(rules, field) or []):
                if name not in source_names:
                    loc = (*at, field, j)
                    out.append(ConfigIssue(file, _line_for(loc, lines), _key(loc), _unknown_source(name, source_names)))
    return out


def _unknown_source(name: str, names: set[str]) -> str:
    near = difflib.get_close_matches(str(name), sorted(names), n=1)
    return f"unknown source {name!r}" + (f"; did you mean {near[0]!r}?" if near else "")


def _unknown_label(field: str, name: str, names: tuple[str, ...]) -> str:
    """A category or event name no story ever has (rules compare names exactly): say which exist."""
    kind = "category" if "categor" in field else "event"
    near = [n for n in names if n.lower() == str(name).lower()] or difflib.get_close_matches(str(name), names, n=1)
    hint = f"did you mean {near[0]!r}? " if near else ""
    return f"unknown {kind} {name!r}, so no story would match it; {hint}{kind} names: {', '.join(names)}"


def config_path(path: str | None = None) -> str:
    """The config file a process reads: ``path`` (``--config``), else ``$SIGNALS_CONFIG``, else
    :data:`DEFAULT_CONFIG`. The file a process watches for edits is this one too."""
    return path or os.environ.get("SIGNALS_CONFIG") or str(DEFAULT_CONFIG)


def database_url(cli: str | None, settings: Settings | None = None) -> str | None:
    """The database a command opens: ``--db``, else ``$SIGNALS_DATABASE_URL``, else the config's
    ``database_url`` (None: :class:`~bot.store.Store` opens ``var/signals.db``). One order for every
    process: ``signals run`` once put the config first while ``worker``, ``db`` and ``search`` put the
    environment first, so with both set they stored into and read from two databases."""
    return cli or os.environ.get("SIGNALS_DATABASE_URL") or (settings.database_url if settings else None)


def load_settings(path: str | os.PathLike[str] | None = None, *, notes: list[ConfigIssue] | None = None) -> Settings:
    """Load and validate a config file. Raises :class:`ConfigError` listing every problem.

    ``notes``, when given, receives the notes on a valid file (:mod:`bot.settings.notes`), located
    from this same read of it."""
    p = Path(path) if path else Path(os.environ.get("SIGNALS_CONFIG", DEFAULT_CONFIG))
    file = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        hint = ("run Signals from its folder, or name the file with --config or $SIGNALS_CONFIG"
                if p == DEFAULT_CONFIG else f"to start from the example: cp config/signals.yaml {file}")
        raise ConfigError([ConfigIssue(file, None, "", f"file not found ({hint})")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigIssue(file, None, "", f"cannot read: {exc}")]) from exc
    lines: dict[Path_, int] = {}
    walk_issues: list[tuple[Path_, int, str]] = []
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = _walk(node, (), lines, walk_issues) if node is not None else {}
    except yaml.MarkedYAMLError as exc:  # syntax, and tags such as !!python/object (ConstructorError)
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        if "'\\t'" in problem:
            problem += " (a tab: indent with spaces)"
        elif any(p in problem for p in _INDENT_PROBLEMS):
            problem += (" (a key indented more or less than the keys beside it, or a value holding ': ' or"
                        " '#' that needs quotes: check this line's indentation against the line above)")
        raise ConfigError([ConfigIssue(file, line, "", f"invalid YAML: {problem}")]) from exc
    issues = [ConfigIssue(file, line, _key(loc), msg) for loc, line, msg in walk_issues]
    try:
        settings = settings_from_mapping(data, file, lines)
    except ConfigError as exc:
        raise ConfigError(issues + exc.issues) from exc
    if issues:
        raise ConfigError(issues)
    if notes is not None:
        from bot.settings.notes import config_notes  # notes read the loader's line map: import it late

        notes += config_notes(settings, file, lines)
    return settings
