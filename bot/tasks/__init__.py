"""Several worker processes on Celery (Redis broker) instead of one ``signals run`` process.

Used only when ``SIGNALS_BROKER_URL`` is set; without it everything runs in one process
as before. The database stays the source of truth: tasks carry only names, so a lost
task message loses no data (the scheduler enqueues again on its next tick).

* :mod:`bot.tasks.app` — the Celery app and its settings (late acks, two queues).
* :mod:`bot.tasks.jobs` — the tasks ``signals.fetch(source)``, ``signals.process()``,
  ``signals.deliver()`` and the ``enqueue_*`` helpers.
* :mod:`bot.tasks.leases` — Redis leases: one fetch per source, one clusterer, one
  dispatcher, one scheduler at a time.
* :mod:`bot.tasks.beat` — ``signals scheduler``: APScheduler behind the ``scheduler``
  lease (hot standby: a second instance waits until the first one's lease expires).
"""
