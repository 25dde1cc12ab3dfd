"""Small hand-written news corpus for the story tests: a few events, several outlets each.

The background stories give the window realistic document frequencies; the two chip
stories are the hard pair (same companies, different events). ``impl`` runs a test on both
implementations of the hot paths (pure Python, compiled core).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pytest

from bot.stories import ClusterItem

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

BACKGROUND = [
    ("Storm Ciara floods northern England towns",
     "Heavy rain from Storm Ciara flooded homes in Yorkshire and Cumbria on Sunday as rivers burst their "
     "banks. The Environment Agency issued 40 flood warnings and rail services between Leeds and Carlisle "
     "were suspended."),
    ("Real Madrid beat Barcelona 2-1 in El Clasico",
     "Vinicius Junior scored twice as Real Madrid beat Barcelona 2-1 at the Bernabeu on Saturday night, "
     "moving five points clear at the top of La Liga with eleven games left."),
    ("Finland holds presidential runoff",
     "Voters in Finland chose between Alexander Stubb and Pekka Haavisto in a presidential runoff on Sunday, "
     "with turnout above 70 percent according to the justice ministry."),
    ("Bank of Japan keeps rates unchanged",
     "The Bank of Japan left its short-term interest rate at 0.1 percent on Tuesday and said wage growth "
     "would decide the timing of its next move, Governor Kazuo Ueda told reporters in Tokyo."),
    ("Wildfire forces evacuations near Perth",
     "Firefighters battled a wildfire in the hills east of Perth, Western Australia, forcing hundreds of "
     "residents to evacuate as temperatures passed 40 degrees Celsius."),
    ("Boeing 737 Max deliveries slow after inspections",
     "Boeing delivered 27 737 Max jets in February, down from 45 a year earlier, after the Federal Aviation "
     "Administration capped production while inspectors audit its Renton factory."),
]

# One event (Nvidia's quarterly results), three outlets, different titles and lengths.
EARNINGS = [
    ("reuters", "Nvidia quarterly revenue jumps 265% on AI chip demand",
     "Nvidia reported fourth-quarter revenue of $22.1 billion on Wednesday, up 265% from a year earlier, "
     "as demand for its H100 data center chips used to train artificial intelligence models kept soaring. "
     "Data center revenue reached $18.4 billion. Chief executive Jensen Huang said demand for accelerated "
     "computing had hit a tipping point. The chip maker forecast first-quarter revenue of about $24 billion, "
     "above analyst estimates, and its shares rose 9% in extended trading."),
    ("bloomberg", "Nvidia forecast beats estimates as data center sales surge",
     "Nvidia forecast first-quarter revenue of $24 billion, beating Wall Street estimates, after "
     "fourth-quarter revenue rose 265% to $22.1 billion. Data center sales of $18.4 billion were driven by "
     "H100 chips. Jensen Huang said a tipping point had been reached. Shares rose 9% after the bell."),
    ("verge", "Nvidia's AI boom: $22.1 billion in quarterly revenue",
     "Nvidia's quarterly revenue hit $22.1 billion, a 265% increase, with $18.4 billion from data center "
     "H100 chips. The chip maker expects $24 billion next quarter."),
]

# Same companies (Amazon, Nvidia, chips), a different event.
CLOUD_CHIPS = (
    "ft", "Amazon plans to sell its own Trainium AI chips to rival Nvidia",
    "Amazon Web Services plans to offer its in-house Trainium AI chips to outside customers, challenging "
    "Nvidia, whose H100 chips dominate data center computing. The cloud provider said on Thursday its "
    "Trainium2 processors would be rented in new UltraCluster servers, and Anthropic agreed to use them. "
    "Amazon said the chips cut the cost of training large language models by up to 40%.",
)


# Unrelated short teasers on one theme: each mentions "AI" (rare in the background corpus, so
# heavy) and little else in common; each is its own event.
AI_TEASERS = [
    ("Translation startup adds AI voice dubbing for video creators",
     "A Berlin translation startup launched AI voice dubbing on Monday, letting video creators publish "
     "in twelve languages from one recording."),
    ("Insurer to use AI to settle small car claims",
     "A Dutch insurer said it will let AI software approve minor car damage claims from photos, paying "
     "drivers within an hour."),
    ("Senators question AI use in airport security lines",
     "Two senators asked the Transportation Security Administration how AI screening of carry-on bags "
     "is tested for errors before it reaches more airports."),
    ("Farm equipment maker bets on AI weeding robots",
     "A tractor maker is buying a robotics firm whose AI cameras spot weeds between crop rows and spray "
     "only those plants."),
    ("Newsroom union seeks limits on AI-written headlines",
     "A newspaper union asked management to guarantee that editors review any AI suggestions before "
     "headlines go online."),
    ("Bank rolls out AI chat assistant to mortgage customers",
     "A mid-sized bank began offering an AI chat assistant that answers mortgage questions around the "
     "clock, with staff taking over complex cases."),
    ("Weather service tests AI model for hurricane tracks",
     "Forecasters are comparing an AI model's hurricane track predictions with their usual physics "
     "simulations during this storm season."),
    ("Museum uses AI to restore damaged film reels",
     "A film archive used AI tools to repair scratches and flicker in silent-era reels that will be "
     "screened at a festival in October."),
]


def item(i: int | str, title: str, text: str, source: str | None = None, hours: float = 0.0,
         url: str | None = None) -> ClusterItem:
    return ClusterItem(str(i), title, text, source, T0 + timedelta(hours=hours), url)


@pytest.fixture
def background() -> list[ClusterItem]:
    return [item(f"bg{i}", t, x, f"wire{i}", hours=i * 0.1) for i, (t, x) in enumerate(BACKGROUND)]


def core_module() -> ModuleType | None:
    try:
        return importlib.import_module("bot.stories._core")
    except ImportError:
        return None


@contextlib.contextmanager
def use(impl: str) -> Iterator[None]:
    """Run the story hot paths on one implementation ("pure" or "compiled") inside the block.

    ``bot.stories._fast`` picks one at import; this rebinds every name that holds a pick (the
    index is chosen when a ``Clusterer`` is made, from ``_fast.core``). The compiled run is
    skipped (with the reason) only when the core was not built on this machine."""
    from bot.stories import _fast, scoring, text

    core = None if impl == "pure" else core_module()
    if impl != "pure" and core is None:
        pytest.skip("the compiled story core (bot.stories._core) is not built here")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_fast, "core", core)
        mp.setattr(_fast, "COMPILED", core is not None)
        mp.setattr(text, "_scan", core.scan if core else text._py_scan)
        mp.setattr(scoring, "_share_cover", core.share_cover if core else scoring._py_share_cover)
        mp.setattr(scoring, "_features", core.features if core else scoring._py_features)
        yield


@pytest.fixture(params=["pure", "compiled"])
def impl(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a test once on the pure-Python story hot paths and once on the compiled core."""
    with use(request.param):
        yield request.param
