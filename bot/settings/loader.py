"""Read YAML config into :class:`Settings`, reporting every problem with file, line and key.

YAML is composed into nodes first so each key path keeps its line number; pydantic's
error locations are then mapped back to those lines. ``${VAR}`` in any string value is
replaced from the environment (secrets never live in the file).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.errors import ConfigError, ConfigIssue
from bot.settings.schema import Settings

__all__ = ["DEFAULT_CONFIG", "load_settings", "settings_from_mapping"]

DEFAULT_CONFIG = Path("config/signals.yaml")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")

Path_ = tuple[str | int, ...]


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    """Turn a YAML node into plain data, recording the 1-based line of every path."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for k, v in node.value:
            key = yaml.safe_load(yaml.serialize(k)) if not isinstance(k, yaml.ScalarNode) else k.value
            lines[(*path, key)] = k.start_mark.line + 1
            out[key] = _walk(v, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(v, (*path, i), lines) for i, v in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _substitute(data: Any, path: Path_, issues: list[tuple[Path_, str]]) -> Any:
    if isinstance(data, dict):
        return {k: _substitute(v, (*path, k), issues) for k, v in data.items()}
    if isinstance(data, list):
        return [_substitute(v, (*path, i), issues) for i, v in enumerate(data)]
    if isinstance(data, str) and "${" in data:
        def repl(m: re.Match[str]) -> str:
            val = os.environ.get(m.group(1), m.group(2))
            if val is None:
                issues.append((path, f"environment variable {m.group(1)} is not set"))
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
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check its spelling and indentation)"
            elif "input" in err and err["type"] not in ("missing",) and not isinstance(err["input"], dict | list) \
                    and not (loc and loc[-1] in _SECRET_KEYS):
                msg = f"{msg} (got {err['input']!r})"
            issues.append(ConfigIssue(file, _line_for(loc, lines), _key(loc), msg))
        raise ConfigError(issues) from exc
    issues += _cross_checks(settings, file, lines)
    if issues:
        raise ConfigError(issues)
    return settings


_SECRET_KEYS = frozenset({"webhook", "discord_webhook"})  # URLs that carry a token: never echoed in errors


def _cross_checks(s: Settings, file: str, lines: dict[Path_, int]) -> list[ConfigIssue]:
    out = []
    known = set(s.topics)
    for i, ch in enumerate(s.channels):
        for j, t in enumerate(ch.topics or []):
            if t not in known:
                loc: Path_ = ("channels", i, "topics", j)
                out.append(ConfigIssue(file, _line_for(loc, lines), _key(loc),
                                       f"unknown topic {t!r}; defined topics: {', '.join(sorted(known)) or 'none'}"))
    source_names = {src.name for src in s.sources}
    for i, ch in enumerate(s.channels):
        for field in ("sources", "exclude_sources"):
            for j, name in enumerate(getattr(ch, field) or []):
                if name not in source_names:
                    loc = ("channels", i, field, j)
                    out.append(ConfigIssue(file, _line_for(loc, lines), _key(loc), f"unknown source {name!r}"))
    return out


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Load and validate a config file. Raises :class:`ConfigError` listing every problem."""
    p = Path(path) if path else Path(os.environ.get("SIGNALS_CONFIG", DEFAULT_CONFIG))
    file = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError([ConfigIssue(file, None, "", "file not found")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigIssue(file, None, "", f"cannot read: {exc}")]) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError([ConfigIssue(file, line, "", f"invalid YAML: {exc.problem or exc}")]) from exc
    lines: dict[Path_, int] = {}
    data = _walk(node, (), lines) if node is not None else {}
    return settings_from_mapping(data, file, lines)
