"""The real Bolt app behind the real web app, served by uvicorn, driven with signed HTTP requests."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from bot.adapters.slack import SlackNotifier
from bot.commands import effective_rules
from bot.models import Delivery, DeliveryStatus
from bot.store import schema as t
from bot.web.app import WebContext, create_app

from .conftest import add_story, make_alert
from .servers import UvicornThread, sign

SECRET = "s3cret-signing"
# Slack gives every command and click its own trigger_id, so no two requests are the same bytes
# (a byte-identical request is a replay, which the endpoint ignores)
_TRIGGERS = itertools.count(1)


@pytest.fixture
def server(fake, store, settings) -> Iterator[UvicornThread]:
    add_story(store)
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
    app = create_app(WebContext(settings=settings, store=store, env=env), parts=["bot.adapters.slack.web"])
    with UvicornThread(app) as srv:
        yield srv


def post(server: UvicornThread, body: str, content_type: str, headers: dict[str, str] | None = None,
         timestamp: int | None = None, secret: str = SECRET) -> httpx.Response:
    h = {"Content-Type": content_type, **sign(secret, body, timestamp), **(headers or {})}
    return httpx.post(f"{server.url}/slack/events", content=body, headers=h, timeout=10)


def command(server, fake, text: str, user: str = "U1", **kw) -> httpx.Response:
    body = urlencode({"command": "/signals", "text": text, "user_id": user, "channel_id": "C1", "team_id": "T1",
                      "response_url": fake.response_url("cmd"), "trigger_id": f"{next(_TRIGGERS)}.2.3", "token": "x"})
    return post(server, body, "application/x-www-form-urlencoded", **kw)


def action(server, fake, action_id: str, value: str, blocks: list | None = None, ts: str = "111.000001"
           ) -> httpx.Response:
    payload = {"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}, "channel": {"id": "C1"},
               "api_app_id": "A1", "token": "x", "trigger_id": f"{next(_TRIGGERS)}.2.3",
               "response_url": fake.response_url("act"),
               "container": {"type": "message", "message_ts": ts, "channel_id": "C1"},
               "message": {"ts": ts, "text": "alert", "blocks": blocks or []},
               "actions": [{"action_id": action_id, "block_id": "signals_actions", "value": value,
                            "type": "button", "action_ts": "1"}]}
    return post(server, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def test_slash_command_acked_fast_then_answered_ephemerally(server, fake):
    start = time.monotonic()
    r = command(server, fake, "search nvidia")
    assert r.status_code == 200 and time.monotonic() - start < 3
    assert fake.wait_for(lambda: fake.responses)
    (resp,) = fake.responses
    assert resp["response_type"] == "ephemeral"
    assert "Nvidia beats earnings estimates" in json.dumps(resp["blocks"])


def test_settings_change_answers_in_channel_and_is_stored(server, fake, store, settings):
    assert command(server, fake, "threshold 7").status_code == 200
    assert fake.wait_for(lambda: fake.responses)
    assert fake.responses[0]["response_type"] == "in_channel"
    assert effective_rules(settings, store)["news"].min_importance == 7
    with store.begin() as c:
        (row,) = c.execute(select(t.audit)).all()
    assert row.actor == "slack:U1" and row.after == 7


def test_bad_signature_and_stale_timestamp_rejected(server, fake):
    assert command(server, fake, "help", secret="wrong").status_code == 401
    assert command(server, fake, "help", timestamp=int(time.time()) - 6 * 60).status_code == 401
    time.sleep(0.2)
    assert fake.responses == []


def test_button_records_feedback_and_updates_message(server, fake, store):
    alert = make_alert("s-nvidia-1")
    d = Delivery(id=1, key="alert:s-nvidia-1:news", channel="news", story_id="s-nvidia-1", kind=alert.kind,
                 alert=alert, status=DeliveryStatus.SENDING)
    sent = asyncio.run(SlackNotifier("xoxb-test", fake.api_url, min_interval=0).send(d, "C1"))
    (posted,) = fake.messages["C1"]
    button = next(b for b in posted["blocks"] if b["type"] == "actions")["elements"][0]
    assert button["action_id"] == "signals_up"
    assert action(server, fake, "signals_up", button["value"], posted["blocks"], sent.message_id).status_code == 200
    assert fake.wait_for(lambda: fake.calls_to("chat.update"))
    upd = fake.calls_to("chat.update")[0].params
    assert upd["channel"] == "C1" and upd["ts"] == sent.message_id
    assert "👍 by <@U1>" in json.dumps(fake.messages["C1"][0]["blocks"], ensure_ascii=False)
    assert [b["type"] for b in fake.messages["C1"][0]["blocks"]][-2:] == ["context", "actions"]
    with store.begin() as c:
        rows = c.execute(select(t.feedback)).all()
    assert [(r.story_id, r.user, r.label, r.topic, r.channel) for r in rows] == [("s-nvidia-1", "U1", 1, "ai", "news")]


def test_why_and_mute_buttons(server, fake, store):
    assert action(server, fake, "signals_why", "s-nvidia-1|ai").status_code == 200
    assert fake.wait_for(lambda: fake.responses)
    assert "n_sources" in json.dumps(fake.responses[0]["blocks"])
    assert fake.responses[0]["response_type"] == "ephemeral"
    assert action(server, fake, "signals_mute", "s-nvidia-1|ai").status_code == 200
    assert fake.wait_for(lambda: len(fake.responses) == 2)
    from bot.commands import muted_topics

    assert muted_topics(store) == {"news": frozenset({"ai"})}


def test_retried_event_is_processed_once(server, fake):
    event = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": "Ev123", "event_time": 1,
             "token": "x", "event": {"type": "app_mention", "user": "U1", "channel": "C1", "ts": "1.000001",
                                     "text": "<@UBOT> help"}}
    body = json.dumps(event)
    assert post(server, body, "application/json").status_code == 200
    assert fake.wait_for(lambda: fake.calls_to("chat.postEphemeral"))
    retry = post(server, body, "application/json", {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200
    time.sleep(0.5)
    calls = fake.calls_to("chat.postEphemeral")
    assert len(calls) == 1 and "search QUERY" in calls[0].params["text"]


def test_url_verification_challenge(server):
    body = json.dumps({"type": "url_verification", "challenge": "ch4ll", "token": "x"})
    r = post(server, body, "application/json")
    assert r.status_code == 200 and "ch4ll" in r.text


def test_a_replayed_signed_request_is_acknowledged_but_not_run_again(server, fake, store):
    """Slack's signature is good for 5 minutes, so a captured request (a proxy's log, a leaked HAR)
    could be sent again. Before: each copy ran the command again (two audit rows, two answers);
    now a request whose signature was already seen is acknowledged and ignored."""
    body = urlencode({"command": "/signals", "text": "threshold 6", "user_id": "U1", "channel_id": "C1",
                      "team_id": "T1", "response_url": fake.response_url("cmd"), "trigger_id": "9.8.7", "token": "x"})
    ts = int(time.time())
    assert post(server, body, "application/x-www-form-urlencoded", timestamp=ts).status_code == 200
    assert fake.wait_for(lambda: fake.responses)
    again = post(server, body, "application/x-www-form-urlencoded", timestamp=ts)
    assert again.status_code == 200
    time.sleep(0.5)
    assert len(fake.responses) == 1
    with store.begin() as c:
        assert len(c.execute(select(t.audit)).all()) == 1
