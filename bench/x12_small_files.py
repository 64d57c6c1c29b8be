"""Per-file cost of the X12 parser the inbound daemon calls, on small one-850 files.

Parses ``--files`` distinct small 850s (the end-to-end tests' ``small_850``) with
``parse_x12`` in one process, after a warm-up, and prints milliseconds per file and files/s.
``--profile`` prints the top of a cProfile of the same loop instead.

Run:  .venv/bin/python bench/x12_small_files.py [--files 2000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.formats.x12.inbound import parse_x12  # noqa: E402
from gateway.control_numbers import InMemoryCounter  # noqa: E402
from tests.integration.support import small_850  # noqa: E402


def run(files: list[bytes]) -> float:
    """Parse every file once; return the seconds it took."""
    started = time.perf_counter()
    for number, data in enumerate(files):
        parse_x12(data, file_name=f"f{number}.x12", counter=InMemoryCounter())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    files = [small_850(number + 1) for number in range(args.files)]
    run(files[:200])  # warm-up: maps loaded, caches filled
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(run, files)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        return
    seconds = run(files)
    print(
        f"{args.files} small 850s: {seconds * 1000 / args.files:.3f} ms/file, "
        f"{args.files / seconds:,.0f} files/s"
    )


if __name__ == "__main__":
    main()
