"""Time the app's start-up (run by hand, never in tests).

    .venv/bin/python bench/startup.py [--runs 5]

Runs ``flask --app wsgi --help`` (what every CLI call and worker start pays) in fresh
processes and prints the median wall time and the peak resident set size, and which
of the analysis libraries (pandas, numpy, matplotlib, scipy) building the app imported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).with_name("flask")
LOADED = (
    "import sys, wsgi; print(*[m for m in ('pandas', 'numpy', 'matplotlib', 'scipy') "
    "if m in sys.modules])"
)


def _run(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak resident kB of ``command``, run in a fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status:
        raise SystemExit(f"{command} failed ({status})")
    return elapsed, usage.ru_maxrss


def main() -> None:
    """Print the median start-up time and peak memory of ``flask --app wsgi --help``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = [_run([str(FLASK), "--app", "wsgi", "--help"]) for _ in range(args.runs)]
    seconds = statistics.median(run[0] for run in runs)
    peak_mb = max(run[1] for run in runs) / 1024
    loaded = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", LOADED], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    print(f"flask --app wsgi --help: median {seconds:.2f} s over {args.runs} runs")
    print(f"peak resident set: {peak_mb:.0f} MB")
    print(f"analysis libraries imported: {', '.join(loaded) or 'none'}")
    # The machine is shared: a busy one stretches every timing.
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
