"""The RQ job that sends queued survey email in production.

Run a worker with ``rq worker portal-mail --url $PORTAL_REDIS_URL``. The database
rows are the queue; a job only says "look now", so a lost job delays mail until
the next one (or the ``surveys send-due`` cron) and never loses it.
"""

from portal import create_app
from surveys.fieldwork import send_due


def send_due_job() -> None:
    """Send everything due, in an application context of its own."""
    app = create_app()
    with app.app_context():
        send_due()
