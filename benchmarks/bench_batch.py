"""`intake batch --jobs N` against `--jobs 1` on the 50-file inbox of the tests.

    python benchmarks/bench_batch.py [--repeat 3]

Each configuration runs `repeat` times on a fresh output folder (so nothing is skipped); the
table gives the median wall-clock time and the speed-up against --jobs 1 measured in the same
run. Results go to benchmarks/results/batch.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from intake.outputs.samples import write_inbox

HERE = Path(__file__).resolve().parent
INTAKE = str(Path(sys.executable).with_name("intake"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        inbox = work / "inbox"
        write_inbox(inbox)
        times: dict[int, list[float]] = {}
        for _ in range(args.repeat):
            for jobs in args.jobs:
                out = work / f"out-{jobs}"
                shutil.rmtree(out, ignore_errors=True)
                start = time.perf_counter()
                subprocess.run([INTAKE, "batch", str(inbox), "--out", str(out), "--settle", "0",
                                "--jobs", str(jobs)], capture_output=True, check=False)
                times.setdefault(jobs, []).append(time.perf_counter() - start)
        base = statistics.median(times[args.jobs[0]])
        lines = [
            "# intake batch: --jobs N against --jobs 1",
            "",
            f"50-file inbox (40 processed, 10 skipped as copies), {os.cpu_count()} cores, "
            f"median of {args.repeat} runs. Command: `python benchmarks/bench_batch.py`.",
            "",
            "| jobs | median s | speed-up vs --jobs 1 |",
            "|---:|---:|---:|",
        ]
        for jobs in args.jobs:
            median = statistics.median(times[jobs])
            lines.append(f"| {jobs} | {median:.2f} | {base / median:.2f}x |")
        text = "\n".join(lines) + "\n"
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "batch.md").write_text(text, encoding="utf-8")
        print(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
