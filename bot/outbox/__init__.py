"""Durable, idempotent delivery: routing writes rows, the dispatcher sends them exactly once."""

from bot.outbox.codec import alert_from_dict, alert_to_dict
from bot.outbox.dispatch import DeliveryReport, deliver_due
from bot.outbox.queue import NewDelivery, Outbox

__all__ = ["DeliveryReport", "NewDelivery", "Outbox", "alert_from_dict", "alert_to_dict", "deliver_due"]
