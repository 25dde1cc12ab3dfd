"""Instructions per article of the story clusterer in steady state, under callgrind.

Run: ``PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no .venv/bin/python
benchmarks/callgrind_stories.py [--start 20000] [--stop 21000]``.

Why: wall-clock speed on a shared VM drifts by a third during a day; callgrind's instruction
count does not. This streams ``bench_stories``' 100,000-article stream (its first ``--stop``
articles, made before anything is counted) through ``Clusterer.add`` and switches callgrind's
instrumentation on for articles ``--start`` to ``--stop`` only (a full 72 h window from about
article 15,000 on), through a two-function helper built with the C compiler and
``valgrind/callgrind.h``. ``Collected`` in valgrind's summary divided by ``stop - start`` is
instructions per article; ``callgrind_annotate`` reads the profile valgrind writes.
"""

from __future__ import annotations

import argparse
import ctypes
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_stories import articles
from bot.stories import Clusterer

_HELPER = """#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void cg_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS; }
"""


def _helper(tmp: Path) -> ctypes.CDLL:
    (tmp / "cg.c").write_text(_HELPER)
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(tmp / "cg.so"), str(tmp / "cg.c")], check=True)
    return ctypes.CDLL(str(tmp / "cg.so"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--start", type=int, default=20_000)
    ap.add_argument("--stop", type=int, default=21_000)
    args = ap.parse_args()
    items = [it for _, (it, _) in zip(range(args.stop), articles(100_000), strict=False)]
    c = Clusterer(window=timedelta(hours=72))
    for it in items[: args.start]:
        c.add(it)
    with tempfile.TemporaryDirectory() as tmp:
        cg = _helper(Path(tmp))
        cg.cg_start()
        stories = {c.add(it).story_id for it in items[args.start : args.stop]}
        cg.cg_stop()
    print(f"articles {args.start}-{args.stop}: {len(stories)} stories, {len(c)} in the window")
    return 0


if __name__ == "__main__":
    sys.exit(main())
