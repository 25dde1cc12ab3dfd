"""The Discord gateway process (``signals discord``) answers from the edited config file, as the
web process does; it kept the settings it started with."""

from __future__ import annotations

import os
from pathlib import Path

from bot.adapters.discord.gateway import SignalsClient
from bot.commands import CommandService, Invocation
from bot.settings import load_settings
from bot.settings.watch import ConfigWatcher
from bot.store import Store

CONFIG = """\
topics:
  ai:
    keywords: [nvidia]
channels:
  - name: disco
    discord: "123"
    min_importance: {threshold}
"""


def write(path: Path, text: str, bump: int) -> None:
    path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + bump * 1_000_000_000))


def test_gateway_client_picks_up_config_edits_before_answering(tmp_path: Path, store: Store) -> None:
    cfg = tmp_path / "signals.yaml"
    write(cfg, CONFIG.format(threshold=5), 0)
    settings = load_settings(cfg)
    service = CommandService(settings, store)
    client = SignalsClient(service, config=ConfigWatcher(cfg, service.use_settings, current=settings))
    threshold = Invocation(text="threshold", user="42", platform="discord", platform_channel="123")
    assert "≥ 5/10" in service.run(threshold).text

    write(cfg, CONFIG.format(threshold=7), 1)
    client.refresh_settings(every=0)
    assert "≥ 7/10" in service.run(threshold).text

    write(cfg, CONFIG.format(threshold="seven"), 2)  # a bad edit: the last good settings stay
    client.refresh_settings(every=0)
    assert "≥ 7/10" in service.run(threshold).text
