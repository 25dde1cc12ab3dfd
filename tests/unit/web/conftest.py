"""One seeded SQLite store in a temporary directory for the web view's tests (see ``seed.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.web.seed import Seeded, open_seeded


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """Read-only tests share one seeded store (seeding takes a moment); never write to it."""
    s = open_seeded(str(tmp_path_factory.mktemp("web") / "web.db"))
    yield s
    s.store.close()
