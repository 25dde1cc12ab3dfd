"""The alert's 👍/👎 and Mute buttons are about the topic that brought the story to *this* channel.

A story about two topics is alerted in a channel that follows only the second one: the routed alert
goes through the real notifier to the fake Slack, and the button is clicked with a signed request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.adapters.discord.views import alert_components, parse_custom_id
from bot.adapters.slack import SlackNotifier
from bot.models import Delivery, DeliveryStatus, SourceRef
from bot.routing import StoryView, plan_story
from bot.store import schema as t
from bot.web.app import WebContext, create_app

from .conftest import NOW, add_story
from .servers import UvicornThread
from .test_bolt_http import SECRET, action


@pytest.fixture
def settings():
    from bot.settings import settings_from_mapping

    return settings_from_mapping({
        "topics": {"ai": {"keywords": ["nvidia"]}, "chips": {"keywords": ["tsmc"]}},
        "channels": [{"name": "fabs", "slack": "C1", "topics": ["chips"], "min_importance": 0}]})


@pytest.fixture
def server(fake, store, settings) -> Iterator[UvicornThread]:
    add_story(store, topics=["ai", "chips"])
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
    app = create_app(WebContext(settings=settings, store=store, env=env), parts=["bot.adapters.slack.web"])
    with UvicornThread(app) as srv:
        yield srv


def test_vote_and_mute_buttons_name_the_channels_topic(server, fake, store, settings):
    story = StoryView(id="s-nvidia-1", title="Nvidia beats earnings estimates", text="TSMC and Nvidia",
                      url="https://wire.example/s-nvidia-1", importance=8.2, category="Industry", event="earnings",
                      domain="business", topics=["ai", "chips"], relevance={"ai": 0.9, "chips": 0.6},
                      sources=[SourceRef("Wire", "https://wire.example/s-nvidia-1")], first_seen=NOW)
    plan = plan_story(story, settings, summary=["Revenue rose."], tags=[], alerted=set(), new_source=None, now=NOW)
    (row,) = plan.deliveries
    assert row.alert.channel == "fabs"
    delivery = Delivery(id=1, key=row.key, channel="fabs", story_id=story.id, kind=row.alert.kind, alert=row.alert,
                        status=DeliveryStatus.SENDING)
    sent = asyncio.run(SlackNotifier("xoxb-test", fake.api_url, min_interval=0).send(delivery, "C1"))
    (posted,) = fake.messages["C1"]
    buttons = next(b for b in posted["blocks"] if b["type"] == "actions")["elements"]
    assert [b["text"]["text"] for b in buttons][-1] == "Mute chips here"  # not "Mute ai here": #fabs does not follow ai

    assert action(server, fake, "signals_down", buttons[1]["value"], posted["blocks"], sent.message_id).status_code == 200
    assert fake.wait_for(lambda: fake.calls_to("chat.update"))
    with store.begin() as c:
        votes = [(r.story_id, r.topic, r.label) for r in c.execute(select(t.feedback)).all()]
    assert votes == [("s-nvidia-1", "chips", -1)]  # trains the topic this channel gets alerts for

    # the same alert on Discord: its buttons carry the same topic
    clicks = [parse_custom_id(b["custom_id"]) for b in alert_components(row.alert)[0]["components"]]
    assert {c.topic for c in clicks if c is not None} == {"chips"}
    assert "ai" in json.dumps(posted["blocks"])  # the story's other topic is still shown
