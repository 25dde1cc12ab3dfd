"""Sources that manage themselves, end to end on loopback.

A feed advertises a local WebSub hub (a real HTTP server); the bot polls it once,
subscribes, the hub verifies the subscription against the real web app (uvicorn), then
pushes a signed update, which reaches a webhook channel within a second; a badly signed
push is acknowledged and ignored; a short lease is renewed before it ends. Also: OPML
import/export through the CLI, and adaptive ``next_poll_at`` after a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import update

from bot.adapters.registry import build_destinations
from bot.cli import main
from bot.pipeline import Pipeline
from bot.settings import Settings, settings_from_mapping
from bot.sources.websub import get_subscription, renew_at, verify
from bot.store import Store
from bot.store import schema as t
from bot.web.app import WebContext, create_app
from tests.fakes.webhook import Receiver
from tests.fakes.websub_hub import Hub
from tests.feedserver import FeedServer, Reply

STORIES = [
    ("Nvidia unveils Blackwell Ultra GPU accelerator for AI data centers",
     "Nvidia on Tuesday unveiled the Blackwell Ultra GPU, an accelerator for training large AI models in data "
     "centers. The company said the chip doubles training throughput and will ship to cloud providers."),
    ("AMD launches MI400 accelerator to rival Nvidia in AI training",
     "AMD launched the MI400 accelerator for AI training in data centers, saying it beats rival GPUs on memory "
     "bandwidth. Microsoft and Oracle will deploy it this year, the company said at its event in San Francisco."),
    ("Intel cancels Falcon Shores GPU as AI strategy shifts",
     "Intel cancelled its Falcon Shores GPU for AI data centers and will focus on a rack-scale design instead, the "
     "company said on Thursday, a setback in its effort to compete with Nvidia accelerators."),
]


def feed(n: int, hub: str, self_url: str) -> bytes:
    now = time.time()
    items = "".join(
        f"<item><title>{t}</title><link>https://push.example/{i}</link><guid>https://push.example/{i}</guid>"
        f"<pubDate>{formatdate(now - 60 * (n - i), usegmt=True)}</pubDate><description>{d}</description></item>"
        for i, (t, d) in enumerate(STORIES[:n]))
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0' xmlns:atom='http://www.w3.org/2005/Atom'>"
            f"<channel><title>Push News</title><link>https://push.example/</link><description>d</description>"
            f"<ttl>30</ttl><atom:link rel='hub' href='{hub}'/><atom:link rel='self' href='{self_url}' "
            f"type='application/rss+xml'/>{items}</channel></rss>").encode()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def hub() -> Iterator[Hub]:
    h = Hub(lease_seconds=5)
    yield h
    h.close()


@contextlib.asynccontextmanager
async def web(settings: Settings, store: Store, pipeline: Pipeline, sock: socket.socket) -> AsyncIterator[str]:
    """The web app's WebSub part on a real loopback socket, in this event loop (it shares the pipeline)."""
    app = create_app(WebContext(settings=settings, store=store, extra={"pipeline": pipeline}),
                     parts=["bot.sources.web"])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def until(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def alerted(receiver: Receiver, title: str) -> bool:
    return any(title in json.dumps(p, ensure_ascii=False) for p in receiver.received)


async def test_websub_push_verify_signature_and_renewal(tmp_path: Path, receiver: Receiver, hub: Hub,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with FeedServer() as srv:
        feed_url = srv.url("/push.xml")
        srv.add("/push.xml", Reply(body=feed(1, hub.url, feed_url), headers={"Cache-Control": "max-age=60"}))
        settings = settings_from_mapping({
            "sources": [{"name": "push", "url": feed_url, "every": "1m", "full_text": "never"}],
            "topics": {"ai-chips": {"keywords": ["nvidia", "gpu", "accelerator"]}},
            "channels": [{"name": "infra", "webhook": receiver.url(), "min_importance": 0}],
            "fetch": {"allow_hosts": ["127.0.0.1"]},
        })
        store = Store.open(f"sqlite:///{tmp_path}/s.db")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        monkeypatch.setenv("SIGNALS_PUBLIC_URL", f"http://127.0.0.1:{sock.getsockname()[1]}")
        async with (Pipeline(settings, store, build_destinations(settings)) as pipeline,
                    web(settings, store, pipeline, sock) as public):
                # 1. a poll: the first story is alerted, the hub is found and subscribed to, and verified.
                report = await pipeline.run_cycle()
                assert report.fetched == 1 and alerted(receiver, STORIES[0][0])
                await until(lambda: (s := get_subscription(store, source="push")) is not None and s.state == "active")
                sub = get_subscription(store, source="push")
                assert sub is not None and sub.topic == feed_url and sub.lease_seconds == 5
                assert hub.requests[0]["hub.callback"] == f"{public}/websub/{sub.id}"
                assert hub.verifications == [("subscribe", 200, True)]
                assert pipeline.sources.subscriber is not None
                state = store.fetch_state("push", feed_url)
                assert state.next_poll_at is not None  # adaptive: <ttl>30</ttl> beats every=1m and max-age=60
                assert timedelta(minutes=29) < state.next_poll_at - datetime.now(UTC) <= timedelta(minutes=30)

                # 2. a signed push: alerted within a second.
                t0 = time.monotonic()
                assert await asyncio.to_thread(hub.publish, feed(2, hub.url, feed_url)) == [202]
                await until(lambda: alerted(receiver, STORIES[1][0]), timeout=5)
                latency = time.monotonic() - t0
                assert latency < 1.0, f"push took {latency:.2f}s"

                # 3. a badly signed push: acknowledged (2xx, per the spec) and ignored.
                n = len(receiver.received)
                assert await asyncio.to_thread(hub.publish, feed(3, hub.url, feed_url), bad_signature=True) == [202]
                await asyncio.sleep(0.5)
                assert len(receiver.received) == n and not alerted(receiver, STORIES[2][0])
                assert store.count_articles() == 2

                # 4. the lease runs towards its end: the renewal job (and any poll after that time) renews it.
                first_expiry = sub.expires_at
                assert first_expiry is not None
                await until(lambda: datetime.now(UTC) >= (renew_at(sub) or first_expiry), timeout=6)
                assert await pipeline.sources.subscriber.renew_due() == 1
                await until(lambda: len(hub.verifications) == 2)
                renewed = get_subscription(store, source="push")
                assert renewed is not None and renewed.state == "active" and renewed.id == sub.id
                assert renewed.expires_at is not None and renewed.expires_at > first_expiry
                assert [r["hub.mode"] for r in hub.requests] == ["subscribe", "subscribe"]

                # 5. a push for an unknown subscription is refused (the hub should stop).
                bogus = await asyncio.to_thread(_post, f"{public}/websub/nope", b"x")
                assert bogus == 404
        sock.close()
        store.close()


def _post(url: str, body: bytes) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


async def test_a_lease_is_renewed_by_a_poll_answered_not_modified(tmp_path: Path, hub: Hub,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a 200 poll renewed a lease: a quiet pushed feed answers 304, and without the
    scheduler's renewal job (the Redis workers have none) its subscription just ran out."""
    monkeypatch.setenv("SIGNALS_PUBLIC_URL", "http://127.0.0.1:9")  # the hub cannot verify: we do it below
    with FeedServer() as srv:
        url = srv.add("/quiet.xml", Reply(body=feed(1, hub.url, ""), etag='"q1"'))
        settings = settings_from_mapping({"sources": [{"name": "quiet", "url": url, "full_text": "never"}]})
        store = Store.open(f"sqlite:///{tmp_path}/q.db")
        try:
            async with Pipeline(settings, store, {}, process=False) as pipeline:
                await pipeline.run_cycle()
                sub = get_subscription(store, source="quiet")
                assert sub is not None and len(hub.requests) == 1
                # five days later: asked and verified back then, the lease ends in 2 s
                long_ago = datetime.now(UTC) - timedelta(days=5)
                with store.begin() as c:
                    c.execute(update(t.websub_subscriptions).values(requested_at=long_ago))
                verify(store, sub.id, {"hub.mode": "subscribe", "hub.topic": sub.topic, "hub.challenge": "c",
                                       "hub.lease_seconds": "432000"}, long_ago + timedelta(seconds=2))
                await pipeline.run_cycle()  # 304, inside the renewal window
            assert srv.requests[-1].headers.get("If-None-Match") == '"q1"'
            assert len(hub.requests) == 2 and hub.requests[-1]["hub.mode"] == "subscribe"
        finally:
            store.close()


async def test_adaptive_next_poll_obeys_ttl_and_cache_headers(tmp_path: Path) -> None:
    with FeedServer() as srv:
        url = srv.add("/slow.xml", Reply(body=feed(1, "", "").replace(b"<atom:link rel='hub' href=''/>", b""),
                                         headers={"Cache-Control": "max-age=7200"}))
        settings = settings_from_mapping({"sources": [{"name": "slow", "url": url, "every": "5m",
                                                       "full_text": "never"}]})
        store = Store.open(f"sqlite:///{tmp_path}/a.db")
        async with Pipeline(settings, store, {}, process=False) as pipeline:
            before = datetime.now(UTC)
            await pipeline.run_cycle()
        st = store.fetch_state("slow", url)
        store.close()
    assert st.next_poll_at is not None
    assert st.next_poll_at - before >= timedelta(hours=2)  # max-age=7200 beats ttl=30 and every=5m


async def test_a_ttl_still_holds_after_a_not_modified_answer(tmp_path: Path) -> None:
    """A 304 has no body, so the ``<ttl>`` read from the last 200 was forgotten: a busy feed with
    ``<ttl>60</ttl>`` and an ETag was polled after 60 min, then every 5 min (its ``every``)."""
    with FeedServer() as srv:
        url = srv.add("/busy.xml", Reply(body=feed(3, "", "").replace(b"<atom:link rel='hub' href=''/>", b"")
                                         .replace(b"<ttl>30</ttl>", b"<ttl>60</ttl>"), etag='"v1"'))
        settings = settings_from_mapping({"sources": [{"name": "busy", "url": url, "every": "5m",
                                                       "full_text": "never"}]})
        store = Store.open(f"sqlite:///{tmp_path}/t.db")
        waits = []
        try:
            async with Pipeline(settings, store, {}, process=False) as pipeline:
                for _ in range(3):
                    before = datetime.now(UTC)
                    await pipeline.run_cycle()
                    at = store.fetch_state("busy", url).next_poll_at
                    assert at is not None
                    waits.append(at - before)
        finally:
            store.close()
        assert srv.requests[-1].headers.get("If-None-Match") == '"v1"'  # the later polls were 304s
    assert all(w >= timedelta(minutes=59) for w in waits), waits


async def test_an_undated_feed_that_never_changes_slows_down(tmp_path: Path) -> None:
    """Undated items get their fetch time, all the same on the first poll: read as 20
    publications in one minute, the feed was polled at its ``every`` for two weeks."""
    items = "".join(f"<item><title>Old post {i}</title><link>https://u.example/{i}</link></item>" for i in range(20))
    body = (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Undated</title><link>https://u.example/</link>"
            f"<description>d</description>{items}</channel></rss>").encode()
    with FeedServer() as srv:
        url = srv.add("/u.xml", Reply(body=body))
        settings = settings_from_mapping({"sources": [{"name": "u", "url": url, "every": "5m", "full_text": "never"}]})
        store = Store.open(f"sqlite:///{tmp_path}/u.db")
        try:
            async with Pipeline(settings, store, {}, process=False) as pipeline:
                await pipeline.run_cycle()
                before = datetime.now(UTC)
                await pipeline.run_cycle()  # unchanged
            st = store.fetch_state("u", url)
        finally:
            store.close()
    assert st.next_poll_at is not None and st.next_poll_at - before >= timedelta(minutes=29)


async def test_a_feed_behind_a_temporary_redirect_keeps_its_cache_hints_and_hub(tmp_path: Path, hub: Hub) -> None:
    """The observer kept each hop's response under its request URL, and the source's URL got the
    302's: no Cache-Control, no ``<ttl>``, no hub. A feed behind a temporary redirect was polled at
    its ``every`` regardless, and never pushed."""
    with FeedServer() as srv:
        srv.add("/slow.xml", Reply(body=feed(1, hub.url, srv.url("/slow.xml")), headers={"Cache-Control": "max-age=7200"}))
        url = srv.redirect("/current", "/slow.xml", status=302)
        settings = settings_from_mapping({"sources": [{"name": "slow", "url": url, "every": "5m",
                                                       "full_text": "never"}]})
        store = Store.open(f"sqlite:///{tmp_path}/a.db")
        try:
            async with Pipeline(settings, store, {}, process=False) as pipeline:
                before = datetime.now(UTC)
                await pipeline.run_cycle()
                meta = pipeline.sources.observer.get(url)
            st = store.fetch_state("slow", url)
        finally:
            store.close()
    assert st.url == url and st.next_poll_at is not None
    assert st.next_poll_at - before >= timedelta(hours=2)
    assert meta is not None and meta.hub == hub.url and meta.ttl_minutes == 30


def test_cli_opml_import_export_and_pause(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "signals.yaml"
    cfg.write_text("topics:\n  security:\n    keywords: [breach]\nsources:\n"
                   "  - name: Wire\n    url: https://wire.example/feed\n", encoding="utf-8")
    opml = tmp_path / "subs.opml"
    opml.write_text("""<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
      <outline text="Security"><outline type="rss" text="Krebs" xmlUrl="https://krebsonsecurity.com/feed/"/>
        <outline type="rss" xmlUrl="https://wire.example/feed"/></outline>
      <outline type="rss" title="Lobsters" xmlUrl="https://lobste.rs/rss"/></body></opml>""", encoding="utf-8")
    db = f"sqlite:///{tmp_path}/c.db"
    base = ["--config", str(cfg), "--db", db]
    assert main(["sources", "import", str(opml), "--topics-from-categories", *base]) == 0
    out = capsys.readouterr()
    assert "added Krebs\thttps://krebsonsecurity.com/feed/  [security]" in out.out
    assert "already a source" in out.err
    assert main(["sources", "pause", "Wire", *base]) == 0
    assert main(["sources", "remove", "Lobsters", *base]) == 0
    capsys.readouterr()
    assert main(["sources", "list", *base]) == 0
    listed = capsys.readouterr().out
    assert "Wire\thttps://wire.example/feed\tconfig, paused" in listed and "Lobsters" not in listed
    assert main(["sources", "export", *base]) == 0
    exported = capsys.readouterr().out
    assert 'xmlUrl="https://krebsonsecurity.com/feed/"' in exported and "lobste.rs" not in exported
    assert main(["sources", "add", "http://169.254.169.254/", *base]) == 1
    assert "metadata" in capsys.readouterr().err
    assert main(["config", "export", str(cfg), "--db", db]) == 0  # runtime changes written back into the YAML
    out = capsys.readouterr()
    import yaml

    exported_cfg = yaml.safe_load(out.out)
    assert [(s["name"], s.get("enabled", True)) for s in exported_cfg["sources"]] == [("Wire", False), ("Krebs", True)]
    assert exported_cfg["sources"][1]["topics"] == ["security"] and exported_cfg["topics"]["security"]
    assert "Krebs: added at runtime" in out.err


def test_cli_opml_import_of_a_messy_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that does not exist was a traceback; HTML entities refused the whole file; a site
    without a feed address vanished without a word; feed:// and http/https twins were skipped
    or added twice."""
    cfg = tmp_path / "signals.yaml"
    cfg.write_text("sources:\n  - name: Wire\n    url: https://wire.example/feed\n", encoding="utf-8")
    base = ["--config", str(cfg), "--db", f"sqlite:///{tmp_path}/c.db"]
    assert main(["sources", "import", str(tmp_path / "missing.opml"), *base]) == 1
    assert capsys.readouterr().err.strip() == f"signals: {tmp_path / 'missing.opml'}: cannot read: No such file or directory"
    opml = tmp_path / "old-reader.opml"
    opml.write_bytes(b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?><opml version='1.0'><body>"
                     b"<outline text='Caf&eacute; News' xmlUrl='feed://cafe.example/rss?a=1&b=2'/>"
                     b"<outline text='Only a site' htmlUrl='https://site.example/'/>"
                     b"<outline text='Wire over http' xmlUrl='http://wire.example/feed/'/>"
                     b"<outline text='Twin' xmlUrl='https://cafe.example/rss?a=1&amp;b=2'/></body></opml>")
    assert main(["sources", "import", str(opml), *base]) == 0
    out = capsys.readouterr()
    assert out.out == "added Café News\thttp://cafe.example/rss?a=1&b=2\n"
    assert "no xmlUrl" in out.err and "https://site.example/" in out.err and "1 of 3 feeds added" in out.err
    assert out.err.count("already a source") == 2
    assert main(["sources", "export", *base]) == 0
    again = tmp_path / "again.opml"
    again.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["sources", "import", str(again), "--dry-run", *base]) == 0  # the export round-trips: nothing new
    assert "0 of 2 feeds to add" in capsys.readouterr().err


def test_cli_import_of_a_large_opml_file_is_quick(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each feed re-read every override three times: 2,000 feeds took 78 s (1.6 s now)."""
    cfg = tmp_path / "signals.yaml"
    cfg.write_text("sources:\n  - name: Wire\n    url: https://wire.example/feed\n", encoding="utf-8")
    opml = tmp_path / "big.opml"
    opml.write_text('<?xml version="1.0"?><opml version="2.0"><body>' + "".join(
        f'<outline text="Feed {i}" xmlUrl="https://f{i}.example/rss"/>' for i in range(2000)) + "</body></opml>")
    base = ["--config", str(cfg), "--db", f"sqlite:///{tmp_path}/c.db"]
    started = time.monotonic()
    assert main(["sources", "import", str(opml), *base]) == 0
    assert time.monotonic() - started < 20
    assert "2000 of 2000 feeds added" in capsys.readouterr().err
    assert main(["sources", "list", *base]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2001


def test_source_names_carry_no_invisible_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A source's name is printed by the console destination and ``signals sources``, and sent to Slack.
    Before: an OPML title's right-to-left override (or zero-width space) became part of the name, so
    ``Tech <RLO>swen`` read as "Tech news" reversed, the rest of each line after it too; a config
    file's name was taken as written. Now imported names drop them, and the config names the line."""
    from bot.errors import ConfigError
    from bot.settings import load_settings

    cfg = tmp_path / "signals.yaml"
    cfg.write_text("sources:\n  - name: Wire\n    url: https://wire.example/feed\n", encoding="utf-8")
    base = ["--config", str(cfg), "--db", f"sqlite:///{tmp_path}/c.db"]
    opml = tmp_path / "shared.opml"
    opml.write_text("<opml version='1.0'><body><outline text='Tech \u202eswen\u202c \u200bDaily\u2066'"
                    " xmlUrl='https://tech.example/rss'/></body></opml>", encoding="utf-8")
    assert main(["sources", "import", str(opml), *base]) == 0
    assert capsys.readouterr().out == "added Tech swen Daily\thttps://tech.example/rss\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - name: Wire\n    url: https://wire.example/feed\n"
                   "  - name: \"Evil \\u202eNews\"\n    url: https://evil.example/feed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(str(bad))
    assert "bad.yaml:4" in str(err.value) and "invisible" in str(err.value), str(err.value)


def test_a_source_name_stored_before_the_check_is_still_polled(tmp_path: Path) -> None:
    """Names added at runtime before invisible characters were dropped are read as stored, not refused
    (refusing one would stop every poll)."""
    from bot.sources.registry import effective_sources

    store = Store.open(f"sqlite:///{tmp_path}/old.db")
    try:
        with store.begin() as c:
            c.execute(t.source_overrides.insert().values(
                name="Old \u202eswen", settings={"name": "Old \u202eswen", "url": "https://old.example/rss"},
                removed=False, paused=False, by="slack:U1", at=datetime.now(UTC)))
        names = [s.name for s in effective_sources(settings_from_mapping({}), store)]
    finally:
        store.close()
    assert names == ["Old \u202eswen"]
