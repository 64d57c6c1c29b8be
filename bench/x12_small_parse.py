"""CPU of the daemon's in-process parse of one small 850, this tree beside another.

The daemon reads a small file in its own process with :meth:`gateway.partner_formats.
PartnerFormats.parse` (detection, sender check, envelope and validation, translation, the
997 owed, the report). This builds the daemon's :class:`~gateway.partner_formats.PartnerFormats`
as :meth:`gateway.runtime.daemon.Gateway.from_settings` does (every registered format, no
profile for partner ``bench``, :meth:`~gateway.partner_formats.PartnerFormats.warm_up`), parses
``--files`` distinct small 850s (the end-to-end tests' ``small_850``) after a warm-up, and
prints the CPU per file of each stage the daemon runs for it:

- ``parse``: :meth:`~gateway.partner_formats.PartnerFormats.parse`;
- ``reply``: :meth:`~gateway.partner_formats.PartnerFormats.reply` (its 997, numbered);
- ``events``: the CloudEvents of its documents (``stamped``, then ``cloud_events``, as the
  pipeline's commit makes them).

With ``--old DIR`` (another checkout, e.g. ``git archive HEAD | tar -x -C DIR``) each round
measures both trees in fresh processes, alternately, and the best of ``--rounds`` is printed for
each (``--tree DIR``: measure another tree than this one as the new). ``--profile`` prints a
cProfile of this tree's parse instead.

Run:  .venv/bin/python bench/x12_small_parse.py [--files 2000] [--rounds 5] [--old DIR]
      [--tree DIR] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("parse", "reply", "events")


def measure(root: Path, count: int, profile: bool, sort: str = "tottime") -> dict[str, float]:
    """Microseconds of CPU per file of each stage, in this process, with the tree at ``root``."""
    sys.path.insert(0, str(root))
    from adapters import REGISTRY
    from gateway.bus.cloudevents import cloud_events, stamped
    from gateway.control_numbers import InMemoryCounter
    from gateway.partner_formats import PartnerFormats
    from gateway.ports import ParseResult
    from tests.integration.support import small_850

    formats = PartnerFormats.of(REGISTRY, {})
    formats.warm_up()
    warm = [small_850(900_000 + n, sender="WARM") for n in range(200)]
    files = [small_850(n + 1, sender="BENCH") for n in range(count)]
    received = dt.datetime.now(dt.UTC)

    def publish(result: ParseResult, claim: str) -> None:
        for doc in result.documents:
            if doc.message is not None:
                cloud_events(
                    stamped(doc.message, received_at=received, correlation_id=claim),
                    correlation_id=claim,
                    partner="bench",
                    kind=doc.kind,
                )

    for number, data in enumerate(warm):  # maps loaded, caches filled
        result = formats.parse(data, file_name=f"w{number}.edi", partner="bench")
        formats.reply(result, InMemoryCounter())
        publish(result, "c")
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(
            lambda: [
                formats.parse(data, file_name=f"po{n}.edi", partner="bench")
                for n, data in enumerate(files)
            ]
        )
        pstats.Stats(profiler).sort_stats(sort).print_stats(60)
        return {}
    started = time.process_time()
    results = [
        formats.parse(data, file_name=f"po{n:06d}.edi", partner="bench")
        for n, data in enumerate(files)
    ]
    parsed = time.process_time()
    counter = InMemoryCounter()
    for result in results:
        formats.reply(result, counter)
    replied = time.process_time()
    for n, result in enumerate(results):
        publish(result, f"claim-{n}")
    published = time.process_time()
    per_file = 1e6 / count
    return {
        "parse": (parsed - started) * per_file,
        "reply": (replied - parsed) * per_file,
        "events": (published - replied) * per_file,
    }


def in_child(root: Path, count: int) -> dict[str, float]:
    """:func:`measure` in a fresh process of its own."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(root), "--files", str(count)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(output)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tree", type=Path, default=ROOT, help="the tree measured as new")
    parser.add_argument("--old", type=Path, help="another tree, measured alternately")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.files, profile=False)))
        return
    if args.profile:
        measure(ROOT, args.files, profile=True)
        return
    trees = {"new": args.tree.resolve(), **({"old": args.old.resolve()} if args.old else {})}
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, root in trees.items():
            rounds[name].append(in_child(root, args.files))
    print(f"{args.files} small 850s, best of {args.rounds} rounds, us of CPU per file")
    for name, figures in rounds.items():
        best = {stage: min(r[stage] for r in figures) for stage in STAGES}
        spread = " ".join(
            f"{stage} {min(r[stage] for r in figures):.0f}-{max(r[stage] for r in figures):.0f}"
            for stage in STAGES
        )
        print(
            f"{name}: "
            + "  ".join(f"{stage} {best[stage]:.1f}" for stage in STAGES)
            + f"  (ranges: {spread})"
        )


if __name__ == "__main__":
    main()
