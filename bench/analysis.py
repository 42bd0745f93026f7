"""Benchmark the survey report against a bare GROUP BY (run by hand, never in tests).

    .venv/bin/python bench/analysis.py [--sizes 10000,100000,1000000]
                                       [--backends sqlite,postgresql]

For each backend and size it builds a programme survey (3 waves, 30 likert items,
6 partnerships, 36 organisations) holding that many stored answers, then, in a
fresh child process, times ``surveys.report.report_rows`` with a breakdown by
partnership and by role, and a bare ``GROUP BY item, wave, answer`` count over
the same answers, and records the peak memory: Python allocations during the
report (tracemalloc) and the child's peak resident set size.

SQLite runs in a temporary file. PostgreSQL runs in a database of its own,
``bench_analysis``, on the server of ``PORTAL_TEST_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); it is created at the start
and dropped at the end, so the test database is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url

SURVEY_SLUG = "bench-partners"
ITEMS = 30
WAVES = 3
PARTNERSHIPS = 6
ORGANISATIONS_PER_PARTNERSHIP = 6
BLANK_SHARE = 0.07
DK_SHARE = 0.05
CHUNK = 20_000
REPEATS = 5
BENCH_DATABASE = "bench_analysis"
DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BARE_GROUP_BY = (
    "SELECT a.item_id, r.wave_id, a.value, count(*) "
    "FROM survey_answer a JOIN survey_response r ON r.id = a.response_id "
    "GROUP BY a.item_id, r.wave_id, a.value"
)


def make_app(url: str) -> Any:
    """A portal app on ``url`` (test settings: no secret key or mail needed)."""
    from portal import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark-secret-key-that-is-long-enough",
            "SQLALCHEMY_DATABASE_URI": url,
        }
    )


# --- building the data --------------------------------------------------------------


def build_directory_and_survey() -> tuple[Any, list[tuple[int, int]], list[int]]:
    """Programme, partnerships, organisations, the survey and its waves.

    Returns the survey, (organisation id, partnership id) pairs and the likert
    item ids.
    """
    from portal.directory import services as directory
    from portal.extensions import db
    from portal.models import PartnerRole
    from portal.models import Scope
    from portal.models import Sector
    from surveys import services
    from surveys.models import ItemType
    from surveys.models import Survey

    rng = random.Random(7)  # noqa: S311 - repeatable test data, not secrets
    programme = directory.create_programme(slug="bench", name="Benchmark programme")
    places: list[tuple[int, int]] = []
    sectors = [Sector.PUBLIC, Sector.THIRD, Sector.PRIVATE, Sector.SOCIAL_ENTERPRISE]
    for p in range(PARTNERSHIPS):
        partnership = directory.create_partnership(
            slug=f"psp-{p}",
            name=f"PSP {p}",
            programme=programme,
            scope=Scope.NATIONAL if p < 2 else Scope.LOCAL,
        )
        for o in range(ORGANISATIONS_PER_PARTNERSHIP):
            organisation = directory.create_organisation(
                name=f"Organisation {p}-{o}",
                sector=rng.choice(sectors),
                partnership=partnership,
                role=PartnerRole.LEAD if o == 0 else PartnerRole.PARTNER,
            )
            places.append((organisation.id, partnership.id))
    survey = Survey(slug=SURVEY_SLUG, title="Benchmark survey", programme=programme)
    db.session.add(survey)
    item_ids = []
    for s in range(3):
        section = services.add_section(survey, title=f"Section {s}")
        for i in range(ITEMS // 3):
            item = services.add_item(
                section,
                code=f"item_{s}_{i}",
                text=f"Statement {s}.{i}",
                item_type=ItemType.LIKERT,
                scale="increase5" if i == 0 else "agree5",
            )
            item_ids.append(item)
    services.add_item(
        section, code="comments", text="Comments", item_type=ItemType.TEXT
    )
    db.session.flush()
    for w in range(WAVES):
        services.add_wave(
            survey, opens_on=date(2014 + w, 1, 1), closes_on=date(2014 + w, 2, 1)
        )
    db.session.commit()
    return survey, places, [item.id for item in item_ids]


def generate(
    answers_wanted: int,
    wave_ids: list[int],
    places: list[tuple[int, int]],
    item_ids: list[int],
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[str, int, str]]]]:
    """Chunks of (responses, answers) rows, ``answers_wanted`` answers in all."""
    rng = random.Random(answers_wanted)  # noqa: S311 - repeatable test data
    weights = [20, 35, 20, 15, 10]
    points = ["1", "2", "3", "4", "5"]
    made = 0
    number = 0
    responses: list[tuple[Any, ...]] = []
    answers: list[tuple[str, int, str]] = []
    while made < answers_wanted:
        number += 1
        response_id = f"{number:032x}"
        wave_id = wave_ids[number % len(wave_ids)]
        if rng.random() < 0.1:
            organisation_id, partnership_id = None, None
        else:
            organisation_id, partnership_id = rng.choice(places)
        responses.append(
            (response_id, wave_id, organisation_id, partnership_id, date(2015, 1, 1))
        )
        # Each partnership leans its own way, so breakdowns differ.
        lean = (partnership_id or 0) % 3
        for item_id in item_ids:
            if made >= answers_wanted:
                break
            draw = rng.random()
            if draw < BLANK_SHARE:
                continue
            if draw < BLANK_SHARE + DK_SHARE:
                value = "DK"
            else:
                value = rng.choices(points, weights=weights[lean:] + weights[:lean])[0]
            answers.append((response_id, item_id, value))
            made += 1
        if len(answers) >= CHUNK:
            yield responses, answers
            responses, answers = [], []
    if responses:
        yield responses, answers


def load(answers_wanted: int) -> None:
    """Fill an empty schema with the survey and its answers (bulk inserts / COPY)."""
    from portal.extensions import db

    survey, places, item_ids = build_directory_and_survey()
    wave_ids = [wave.id for wave in survey.waves]
    with db.engine.begin() as connection:
        raw = connection.connection.dbapi_connection
        if raw is None:
            raise RuntimeError("no database connection")
        postgres = connection.dialect.name == "postgresql"
        cursor = raw.cursor()
        for responses, answers in generate(answers_wanted, wave_ids, places, item_ids):
            if postgres:
                with cursor.copy(
                    "COPY survey_response "
                    "(id, wave_id, organisation_id, partnership_id, submitted_on) "
                    "FROM STDIN"
                ) as copy:
                    for row in responses:
                        copy.write_row(row)
                with cursor.copy(
                    "COPY survey_answer (response_id, item_id, value) FROM STDIN"
                ) as copy:
                    for row in answers:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    "INSERT INTO survey_response "
                    "(id, wave_id, organisation_id, partnership_id, submitted_on) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(*row[:4], row[4].isoformat()) for row in responses],
                )
                cursor.executemany(
                    "INSERT INTO survey_answer (response_id, item_id, value) "
                    "VALUES (?, ?, ?)",
                    answers,
                )
        cursor.close()
        if not postgres:
            connection.execute(text("ANALYZE"))
    if db.engine.dialect.name == "postgresql":
        # VACUUM as well: otherwise autovacuum wakes up for the million new rows
        # in the middle of the timings, and the first scans set hint bits.
        with db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            connection.execute(text("VACUUM ANALYZE"))


def prepare(url: str, answers_wanted: int) -> float:
    """Create the schema at ``url`` and load the data; returns seconds taken."""
    from portal.extensions import db

    app = make_app(url)
    started = time.perf_counter()
    with app.app_context():
        db.drop_all()
        db.create_all()
        load(answers_wanted)
        count = db.session.scalar(text("SELECT count(*) FROM survey_answer"))
        if count != answers_wanted:
            raise RuntimeError(f"loaded {count} answers, wanted {answers_wanted}")
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    return time.perf_counter() - started


# --- measuring (in a fresh child process) ----------------------------------------------


def timed(actions: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median seconds of each action over ``REPEATS`` rounds after a warm-up.

    The actions take turns within each round, so a slow moment of the machine
    falls on all of them alike rather than on whichever ran then.
    """
    times: dict[str, list[float]] = {name: [] for name in actions}
    for action in actions.values():
        action()
    for _ in range(REPEATS):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def measure(url: str) -> dict[str, float]:
    """Time the report and the bare GROUP BY; peak memory of the report."""
    from portal.extensions import db
    from surveys import report
    from surveys.models import Survey

    app = make_app(url)
    # ru_maxrss is in kilobytes on Linux; this is the interpreter, Flask and
    # pandas before any work (charts, scipy, XLSX and PDF load on first use).
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == SURVEY_SLUG))
        if survey is None:
            raise RuntimeError("the benchmark survey is missing")

        def by_partnership() -> object:
            return report.report_rows(survey, by="partnership")

        def by_role() -> object:
            return report.report_rows(survey, by="role")

        def bare() -> object:
            return db.session.execute(text(BARE_GROUP_BY)).all()

        results = timed(
            {
                "report_partnership": by_partnership,
                "report_role": by_role,
                "bare": bare,
            }
        )
        tracemalloc.start()
        by_partnership()
        results["report_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        tracemalloc.start()
        bare()
        results["bare_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        db.session.remove()
    results["baseline_rss_mb"] = baseline_mb
    results["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def measure_in_child(url: str) -> dict[str, float]:
    """Run ``measure`` in a fresh interpreter, so its peak RSS is the report's own."""
    completed = subprocess.run(  # noqa: S603 - our own script and a URL we built
        [sys.executable, __file__, "--measure", url],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


# --- databases ---------------------------------------------------------------------------


def postgres_urls() -> tuple[str, str]:
    """(maintenance URL, benchmark database URL) on the test database's server."""
    server = make_url(os.environ.get("PORTAL_TEST_DATABASE_URL") or DEFAULT_SERVER_URL)
    if server.drivername == "postgresql":
        server = server.set(drivername="postgresql+psycopg")
    maintenance = server.set(database="postgres")
    bench = server.set(database=BENCH_DATABASE)
    return (
        maintenance.render_as_string(hide_password=False),
        bench.render_as_string(hide_password=False),
    )


def postgres_database(maintenance_url: str, *, create: bool) -> None:
    """Create (or drop) the benchmark's own database."""
    engine = create_engine(maintenance_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}"))
        if create:
            connection.execute(text(f"CREATE DATABASE {BENCH_DATABASE}"))
    engine.dispose()


def run(sizes: list[int], backends: list[str]) -> None:
    """Build, measure and print one line per backend and size."""
    header = (
        f"{'backend':<10} {'answers':>9} {'load s':>7} {'report/part s':>13} "
        f"{'report/role s':>13} {'bare GROUP BY s':>15} {'ratio':>6} {'(role)':>6} "
        f"{'report py MB':>12} {'bare py MB':>10} {'RSS MB':>6} {'(at start)':>10}"
    )
    print(header)
    print("-" * len(header))
    for backend in backends:
        maintenance_url = ""
        with tempfile.TemporaryDirectory(prefix="bench-analysis-") as folder:
            if backend == "postgresql":
                maintenance_url, url = postgres_urls()
                postgres_database(maintenance_url, create=True)
            else:
                url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
            try:
                for size in sizes:
                    loaded = prepare(url, size)
                    numbers = measure_in_child(url)
                    ratio = numbers["report_partnership"] / numbers["bare"]
                    role_ratio = numbers["report_role"] / numbers["bare"]
                    print(
                        f"{backend:<10} {size:>9,} {loaded:>7.1f} "
                        f"{numbers['report_partnership']:>13.3f} "
                        f"{numbers['report_role']:>13.3f} "
                        f"{numbers['bare']:>15.3f} {ratio:>6.2f} {role_ratio:>6.2f} "
                        f"{numbers['report_peak_mb']:>12.1f} "
                        f"{numbers['bare_peak_mb']:>10.1f} "
                        f"{numbers['rss_mb']:>6.0f} "
                        f"{numbers['baseline_rss_mb']:>10.0f}",
                        flush=True,
                    )
            finally:
                if backend == "postgresql":
                    postgres_database(maintenance_url, create=False)


def main() -> None:
    """Parse the command line and run the benchmark (or one child measurement)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(measure(arguments.measure)))
        return
    sizes = [int(size) for size in arguments.sizes.split(",")]
    backends = [name.strip() for name in arguments.backends.split(",")]
    unknown = [name for name in backends if name not in ("sqlite", "postgresql")]
    if unknown or any(size <= 0 for size in sizes):
        parser.error("backends are sqlite and postgresql; sizes are positive")
    print(
        f"{ITEMS} likert items, {WAVES} waves, {PARTNERSHIPS} partnerships, "
        f"{PARTNERSHIPS * ORGANISATIONS_PER_PARTNERSHIP} organisations; "
        f"~{BLANK_SHARE:.0%} blanks, ~{DK_SHARE:.0%} don't know; "
        f"times are medians of {REPEATS} runs after a warm-up"
    )
    run(sizes, backends)
    print(
        "ratio = report by partnership / bare GROUP BY, (role) the same by role; "
        "py MB = tracemalloc peak during one call; RSS = peak resident set of the measuring process, "
        "(at start) = the same before any query"
    )


if __name__ == "__main__":
    main()
