"""``python -m bot.stories.make_background ../shared/data``: rebuild the shipped background.

A module of its own because ``bot.stories`` already imports :mod:`bot.stories.background`
(running that one with ``-m`` would load it twice).
"""

from __future__ import annotations

import sys

from bot.stories.background import main

if __name__ == "__main__":
    sys.exit(main())
