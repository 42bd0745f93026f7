"""Time a published summary's PDF download (run by hand, never in tests).

    .venv/bin/python bench/summary_pdf.py [--runs 10] [--rebuild]

Uses the demo database (``flask --app wsgi demo load``): signs in as the demo board
member and downloads each published summary's PDF ``--runs`` times through the app.
The first download of a summary with no PDF kept builds and stores it, as for one
published before PDFs were kept; ``--rebuild`` forgets the kept PDFs first, so the
first download shows what every download cost before. Note that ``--rebuild``
changes the demo database (the PDFs are built again on the next download).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy import update

# wsgi.py is not an installed module: import it from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from governance.summary import BoardSummary
from governance.summary import SummaryStatus
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from wsgi import app

BOARD_MEMBER = "board@portal.example"


def main() -> None:
    """Print the first and the median later download time of each published PDF."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    with app.app_context():
        if args.rebuild:
            db.session.execute(update(BoardSummary).values(pdf=None))
            db.session.commit()
        published = [
            (found.id, found.partnership.slug)
            for found in db.session.scalars(
                select(BoardSummary).where(
                    BoardSummary.status == SummaryStatus.PUBLISHED
                )
            )
        ]
    client = app.test_client()
    form = client.get("/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    if token is None:
        raise SystemExit("no CSRF token on the sign-in page")
    signed_in = client.post(
        "/auth/login",
        data={
            "csrf_token": token.group(1),
            "email": BOARD_MEMBER,
            "password": DEMO_PASSWORD,
        },
    )
    if signed_in.status_code != 303:
        raise SystemExit("the demo board member could not sign in (run demo load)")
    for summary_id, slug in published:
        url = f"/partnerships/{slug}/summaries/{summary_id}.pdf"
        seconds = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get(url)
            seconds.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
        print(
            f"{url}: {len(response.data) / 1024:.0f} KB; first {seconds[0]:.3f} s, "
            f"then median {statistics.median(seconds[1:]):.3f} s"
        )


if __name__ == "__main__":
    main()
