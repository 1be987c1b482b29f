"""The outbox: every email the portal sends is first a row in PostgreSQL, written in the
transaction of the change that caused it, then sent by the Celery worker with retries.

`lib.mail.send_email` queues through `queue()` (in `lib.outbox.queueing`); the worker's
`send_queued_mail` task (enqueued after the commit) and beat's `sweep_outbox` (every minute,
for whatever the broker lost) send it (`lib.outbox.sending`). Staff see stuck mail in the
admin. A small Django app at the lib layer: it imports no portal app.
"""
