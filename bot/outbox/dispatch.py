"""Send what the outbox holds: per channel in order, channels concurrently.

A rate limit or outage on one channel delays only that channel; a permanent error fails
only that delivery, with a log line that names the channel and the reason; an unexpected
exception from an adapter is logged with its traceback and retried like an outage, never
raised out of :func:`deliver_due` (which would stop the other channels' pass). A row that was
tried before (``attempts`` > 0) or left ``sending`` is looked for on the platform
(``find_sent``) before it is posted again: a timed-out post may well have arrived. If the
look-up of a row left ``sending`` fails for now, the row waits and is looked up again
(posting blind risks the duplicate); a look-up the platform refuses for good, or one for
a row whose last attempt ended in an error, leads to posting again.

A follow-up waits for its story's alert (held for quiet hours, queued, being retried)
without holding up the channel's other stories; it is posted as a full alert when that
alert failed for good (the first such one: later ones reply to it), and not at all when the story went out in a quiet-hours catch-up
(the row is marked sent with the catch-up's key, as the catch-up does for held ones).
When a user deleted the alert (:class:`~bot.errors.OriginalGone`: nothing to edit or reply
to), the follow-up is posted as the story's alert again and later ones go to that message,
noted :data:`~bot.outbox.queue.STAND_IN`; failing it would lose every later source too.

A refused token (:class:`~bot.errors.AuthFailed`: ``invalid_auth``, ``token_revoked``, a
Discord 401) or a channel that cannot take posts (:class:`~bot.errors.ChannelUnavailable`:
archived, deleted, the bot removed from it) pauses the channel instead of failing the row:
every delivery behind it would fail the same way, and failing them loses the whole queue to
one bad token or one archived channel. The row waits :data:`PAUSE_RECHECK` and is tried again
(the rest of the channel behind it, in order); the error is logged once per channel when the
pause starts, with what to do. When posting works again, the alerts that queued up meanwhile
leave as ONE catch-up message (:func:`bot.routing.catchup.bundle_after_pause`), not a burst of
stale alerts. Only a post pauses: a look-up (``find_sent``) the channel refuses does not, as
a bot may post to a public Slack channel it cannot read.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bot import metrics
from bot.adapters.base import Destination
from bot.errors import (
    AuthFailed,
    ChannelUnavailable,
    DeliveryError,
    OriginalGone,
    PermanentDeliveryError,
    RateLimited,
)
from bot.faults import checkpoint
from bot.models import AlertKind, Delivery, DeliveryStatus, SentMessage
from bot.outbox.queue import BUNDLED, STAND_IN, Outbox

__all__ = ["DeliveryReport", "deliver_due"]

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=10)
PAUSE_RECHECK = timedelta(minutes=2)  # a paused channel tries again this often
PAUSED = "paused: "  # ``error`` of the row a pause stopped: PAUSED + the reason + ": " + the error
PAUSING = (AuthFailed, ChannelUnavailable)  # what pauses a channel (each says its reason and remedy)


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    reconciled: int = 0
    errors: list[str] = field(default_factory=list)


async def deliver_due(outbox: Outbox, destinations: Mapping[str, Destination],
                      clock: Callable[[], datetime] = lambda: datetime.now(UTC), *,
                      stop: Callable[[], bool] = lambda: False) -> DeliveryReport:
    """Post what is due. ``stop``: once it says so (the process is stopping), no new post starts;
    the rows left wait in the outbox for the next pass."""
    report = DeliveryReport()
    by_channel: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in outbox.due(clock()):
        by_channel[delivery.channel].append(delivery)
    await asyncio.gather(*(_channel(outbox, destinations.get(ch), ch, items, report, clock, stop)
                           for ch, items in by_channel.items()))
    return report


async def _channel(outbox: Outbox, dest: Destination | None, channel: str, items: list[Delivery],
                   report: DeliveryReport, clock: Callable[[], datetime], stop: Callable[[], bool]) -> None:
    for delivery in items:
        if stop():
            break
        if dest is None:
            outbox.mark_failed(delivery.id, f"channel {channel!r} has no destination in the config")
            log.error("delivery failed: channel not configured", extra={"channel": channel, "delivery": delivery.key})
            report.failed += 1
            metrics.record_delivery("failed")
            continue
        if delivery.kind is AlertKind.FOLLOWUP:
            top = outbox.top_alert(delivery.story_id or "", channel)
            if top is not None and top.status not in (DeliveryStatus.SENT, DeliveryStatus.FAILED):
                continue  # its alert goes first (held, queued, being posted); only this story waits
            if top is not None and (top.error or "").startswith(BUNDLED):
                outbox.mark_sent(delivery.id, None, clock(), note=top.error)  # no second post of the story
                log.info("follow-up not posted: its story went out in a catch-up",
                         extra={"channel": channel, "delivery": delivery.key, "bundle": top.error})
                continue
            alert_sent = top is not None and top.status is DeliveryStatus.SENT
            # the alert failed or was deleted: reply to (or edit) what replaced it
            delivery.thread_id = outbox.stand_in(delivery.story_id or "", channel, alert_failed=not alert_sent) \
                or (top.provider_message_id if top is not None and alert_sent else None)
        if delivery.status is DeliveryStatus.SENDING or delivery.attempts > 0:
            # left mid-post by a crash, or tried before: a timeout or a dropped answer can hide a
            # post that went through, so look for it before posting again
            try:
                found = await _find(dest, delivery)
            except AuthFailed as exc:
                _pause(outbox, delivery, exc, report, clock)
                break
            except Exception as exc:
                if delivery.status is DeliveryStatus.SENDING:  # cut off mid-post: look again later, not blind
                    _retry_later(outbox, delivery, exc, report, clock, f"could not check whether it was sent: {exc}")
                    break  # keep the channel's order
                log.warning("could not check whether delivery was sent: %s", exc, extra={"delivery": delivery.key})
                found = None  # its last attempt failed with an error: most likely not posted
            if found is not None:
                outbox.mark_sent(delivery.id, found.message_id, clock())
                report.reconciled += 1
                metrics.record_delivery("reconciled")
                if _resumed(outbox, delivery, clock):
                    break  # the rest was bundled: the next pass sends the catch-up
                continue
        if not outbox.claim(delivery, clock()):
            continue  # another worker took it
        try:
            sent = await _post(dest, delivery)
        except PAUSING as exc:
            _pause(outbox, delivery, exc, report, clock)
            break  # the channel waits until posting works; nothing behind this row is tried
        except PermanentDeliveryError as exc:
            outbox.mark_failed(delivery.id, str(exc))
            log.error("delivery failed permanently: %s", exc, extra={"channel": channel, "story_id": delivery.story_id})
            report.failed += 1
            metrics.record_delivery("failed")
            report.errors.append(str(exc))
            continue
        except Exception as exc:  # rate limit, outage, or a surprise (a bug): this delivery only, retried
            _retry_later(outbox, delivery, exc, report, clock, str(exc))
            break  # keep the channel's order: later messages wait for this one
        checkpoint("deliver")
        outbox.mark_sent(delivery.id, sent.message_id, clock(), note=_stand_in_note(delivery, sent))
        report.sent += 1
        metrics.record_delivery("sent")
        if _resumed(outbox, delivery, clock):
            break


async def _post(dest: Destination, delivery: Delivery) -> SentMessage:
    """Send; a follow-up whose alert a user deleted goes out as the story's alert instead."""
    try:
        return await dest.notifier.send(delivery, dest.target)
    except OriginalGone as exc:
        log.warning("the story's message is gone (%s): posting this follow-up as the story's alert", exc,
                    extra={"channel": delivery.channel, "delivery": delivery.key})
        delivery.thread_id = None
        return replace(await dest.notifier.send(delivery, dest.target), stands_in=True)


def _stand_in_note(delivery: Delivery, sent: SentMessage) -> str | None:
    """:data:`STAND_IN` for a follow-up that went out as the story's alert, so later ones find it."""
    if delivery.kind is not AlertKind.FOLLOWUP:
        return None
    if sent.stands_in:
        return f"{STAND_IN}its alert was deleted"
    return f"{STAND_IN}its alert was not posted" if delivery.thread_id is None else None


def _pause(outbox: Outbox, delivery: Delivery, exc: AuthFailed | ChannelUnavailable, report: DeliveryReport,
           clock: Callable[[], datetime]) -> None:
    """Posting here cannot work for now: the row waits (the channel behind it too); logged once when
    the pause starts."""
    outbox.retry_later(delivery.id, f"{PAUSED}{exc.pause_reason}: {exc}", PAUSE_RECHECK, clock())
    extra = {"channel": delivery.channel, "delivery": delivery.key}
    if (delivery.error or "").startswith(PAUSED):
        log.info("channel still paused: %s", exc.pause_reason, extra=extra)
    else:
        log.error("channel paused: %s. Its deliveries wait (none is dropped) until posting works again: %s. "
                  "What queued meanwhile then leaves as one catch-up message; tried again every %ss", exc,
                  exc.remedy, int(PAUSE_RECHECK.total_seconds()), extra=extra)
    report.retrying += 1
    metrics.record_delivery("retrying")
    report.errors.append(str(exc))


def _resumed(outbox: Outbox, delivery: Delivery, clock: Callable[[], datetime]) -> bool:
    """After a pause ended: bundle what queued up meanwhile. True if a catch-up was enqueued."""
    if not (delivery.error or "").startswith(PAUSED):
        return False
    from bot.routing.catchup import bundle_after_pause  # routing builds on the outbox, not the reverse

    reason = _pause_reason(delivery.error or "")
    log.info("channel resumed: posting works again (%s before)", reason, extra={"channel": delivery.channel})
    return bundle_after_pause(outbox.store, outbox, delivery.channel, reason, clock()) is not None


def _pause_reason(error: str) -> str:
    """The reason a paused row's ``error`` names; rows paused before reasons were written there
    were all refused tokens."""
    reason = error[len(PAUSED):].split(": ", 1)[0]
    return reason if reason in {e.pause_reason for e in PAUSING} else AuthFailed.pause_reason


def _retry_later(outbox: Outbox, delivery: Delivery, exc: Exception, report: DeliveryReport,
                 clock: Callable[[], datetime], error: str) -> None:
    """Put the row back: after the wait a rate limit asked for, else after a backoff."""
    if isinstance(exc, RateLimited):
        outbox.retry_later(delivery.id, error, timedelta(seconds=exc.retry_after), clock())
        log.warning("rate limited; channel paused", extra={"channel": delivery.channel, "retry_after": exc.retry_after})
        report.retrying += 1
        metrics.record_delivery("retrying")
        return
    if not isinstance(exc, DeliveryError | OSError | TimeoutError):
        log.exception("unexpected error while delivering; will retry",
                      extra={"channel": delivery.channel, "delivery": delivery.key})
    delay = min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** min(delivery.attempts, 8)))
    outbox.retry_later(delivery.id, error, delay, clock())
    log.warning("delivery failed, will retry in %ss: %s", int(delay.total_seconds()), error,
                extra={"channel": delivery.channel, "story_id": delivery.story_id})
    report.retrying += 1
    metrics.record_delivery("retrying")
    report.errors.append(error)


async def _find(dest: Destination, delivery: Delivery) -> SentMessage | None:
    """The platform's answer to "was this posted?"; None also when it can never tell (a refused
    look-up such as a missing scope: posting again is then the only way not to lose it)."""
    try:
        return await dest.notifier.find_sent(delivery, dest.target)
    except AuthFailed:
        raise  # the channel pauses; posting again would fail the same way
    except PermanentDeliveryError as exc:
        log.warning("cannot check whether delivery was sent (%s); posting it again", exc,
                    extra={"delivery": delivery.key})
        return None
