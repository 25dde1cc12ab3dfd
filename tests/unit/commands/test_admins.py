"""Who may change settings: bare ids, platform ids, and ids scoped to one workspace or guild."""

from __future__ import annotations

import pytest

from bot.commands.overrides import can_change, require_admin
from bot.errors import PermissionDenied
from bot.settings import settings_from_mapping


def settings(admins: list[str], channel_admins: list[str] | None = None):  # type: ignore[no-untyped-def]
    ch = {"name": "c", "console": True, **({"admins": channel_admins} if channel_admins is not None else {})}
    return settings_from_mapping({"admins": admins, "channels": [ch]})


def test_nobody_configured_means_anyone() -> None:
    s = settings([])
    assert can_change(s, s.channels[0], "U9", "slack", "T1")


def test_workspace_scoped_entry_matches_only_in_that_workspace() -> None:
    s = settings(["slack:T1:U1", "discord:G7:42"])
    ch = s.channels[0]
    assert can_change(s, ch, "U1", "slack", "T1")
    assert not can_change(s, ch, "U1", "slack", "T2")  # same user id, another workspace
    assert not can_change(s, ch, "U1", "slack")  # workspace unknown: not enough
    assert can_change(s, ch, "42", "discord", "G7")
    assert not can_change(s, ch, "42", "discord", "G8")
    with pytest.raises(PermissionDenied):
        require_admin(s, ch, "U1", "slack", "T2")


def test_plain_and_platform_entries_and_channel_precedence() -> None:
    s = settings(["U1"], channel_admins=["slack:U2"])
    ch = s.channels[0]
    assert can_change(s, ch, "U2", "slack", "T1")
    assert not can_change(s, ch, "U1", "slack", "T1")  # the channel's own list wins
    assert not can_change(s, ch, "U2", "discord", "G1")
