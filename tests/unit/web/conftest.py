"""A seeded SQLite store in tmp_path and the web app over it (see ``seed.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.web.seed import Seeded, open_seeded


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """Read-only tests share one seeded store per module (seeding takes a moment)."""
    s = open_seeded(str(tmp_path_factory.mktemp("web") / "web.db"))
    yield s
    s.store.close()
