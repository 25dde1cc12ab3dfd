"""Text as Slack sends it: in messages (``@Signals ...``) ``&``, ``<`` and ``>`` arrive as
``&amp;``, ``&lt;``, ``&gt;`` and a pasted URL as ``<https://...>`` or ``<https://...|label>``.
Commands read the decoded text: ``feeds test <https://...>`` was refused as "not an http URL"
and ``search AT&amp;T`` looked for the word "amp"."""

from __future__ import annotations

import json

from .conftest import add_story
from .test_bolt_http import command, post, server  # noqa: F401  (server is a fixture)


def mention(srv, fake, text: str) -> str:
    n = len(fake.calls_to("chat.postEphemeral"))
    event = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"Ev{hash(text)}",
             "event_time": 1, "token": "x", "event": {"type": "app_mention", "user": "U1", "channel": "C1",
                                                       "ts": "1.000001", "text": f"<@UBOT> {text}"}}
    assert post(srv, json.dumps(event), "application/json").status_code == 200
    assert fake.wait_for(lambda: len(fake.calls_to("chat.postEphemeral")) > n)
    return fake.calls_to("chat.postEphemeral")[-1].params["text"]


def test_a_mention_reads_slack_escapes_and_links(server, fake, store):  # noqa: F811
    add_story(store, "s-att-2", "AT&T buys spectrum")
    assert "AT&amp;T buys spectrum" in mention(server, fake, "search AT&amp;T spectrum")  # the reply is escaped again
    for url in ("<http://127.0.0.1:9/feed.xml>", "<http://127.0.0.1:9/feed.xml|127.0.0.1:9/feed.xml>"):
        reply = mention(server, fake, f"feeds test {url}")
        assert "Refused: 'http://127.0.0.1:9/feed.xml': 127.0.0.1 resolves to 127.0.0.1" in reply, reply


def test_a_slash_command_reads_slack_escapes(server, fake, store):  # noqa: F811
    add_story(store, "s-att-2", "AT&T buys spectrum")
    assert command(server, fake, "search AT&amp;T spectrum").status_code == 200
    assert fake.wait_for(lambda: fake.responses)
    assert "AT&amp;T buys spectrum" in fake.responses[-1]["text"]
