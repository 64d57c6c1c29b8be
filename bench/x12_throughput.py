"""X12 engine throughput: reading + envelope checks, full validation, translation, beside pyx12.

Generates (once, under ``bench/data/``) a ~50 MB file of 856 ship notices and a ~50 MB file of
small 850 purchase orders, then measures on each file, every stage in a fresh subprocess so that
peak RSS is the stage's own:

  (a) read      tokenizer + envelope checks (``read_x12`` without a validator)
  (b) validate  read + syntax validation against the maps (``Pyx12Validator``)
  (c) translate read + translation of every transaction set to its canonical message
  pyx12         pyx12's own ``x12n_document`` on the same file with the same maps

Run:  .venv/bin/python bench/x12_throughput.py [--size-mb 50] [--stages read,validate,...]
It prints one line per file and stage: segments/s, MB/s, seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
STAGES = ("read", "validate", "translate", "pyx12")


# -- generating the input ----------------------------------------------------------------------


def _isa(control: int) -> str:
    return (
        "ISA*00*          *00*          *ZZ*BENCHSUPPLIER  *ZZ*BENCHRETAILER  "
        f"*261123*1200*U*00401*{control:09d}*0*P*>~\n"
    )


def generate_856(path: Path, size: int) -> None:
    """One interchange, one group, as many 856s (40 cartons each) as fit in ``size`` bytes."""
    with path.open("w", encoding="ascii") as out:
        out.write(_isa(1))
        out.write("GS*SH*BENCHSUPPLIER*BENCHRETAILER*20261123*1200*1*X*004010~\n")
        written, count, sscc = 0, 0, 0
        while written < size:
            count += 1
            st = f"{count:04d}"[-9:]
            segs = [
                f"ST*856*{st}",
                f"BSN*00*ASN{count:08d}*20261123*1200*0001",
                "HL*1**S*1",
                "TD1*CTN25*40****G*400*LB",
                "TD5*B*2*UPSN*M*UPS GROUND",
                f"REF*BM*BOL{count:010d}",
                "DTM*011*20261123",
                "N1*SF*BENCH SUPPLIER*UL*0614141000005",
                "N3*1 INDUSTRIAL WAY",
                "N4*SPRINGFIELD*IL*62701*US",
                "N1*ST*BENCH RETAILER DC 12*UL*0614141000012",
                "N3*99 DISTRIBUTION DR",
                "N4*COLUMBUS*OH*43004*US",
                "HL*2*1*O*1",
                f"PRF*PO{count:08d}***20261120",
            ]
            hl = 2
            for carton in range(40):
                sscc += 1
                hl += 1
                pack = hl
                segs += [f"HL*{pack}*2*P*1", f"MAN*GM*00006141410{sscc:08d}"[:31]]
                hl += 1
                segs += [
                    f"HL*{hl}*{pack}*I*0",
                    f"LIN*{carton + 1}*UP*01234567890{carton % 10}*VN*SKU-{carton:05d}",
                    "SN1**12*EA**12*EA",
                    "PID*F****BENCH WIDGET, BLUE",
                ]
            segs.append(f"CTT*{hl}")
            segs.append(f"SE*{len(segs) + 1}*{st}")
            text = "~\n".join(segs) + "~\n"
            out.write(text)
            written += len(text)
        out.write(f"GE*{count}*1~\nIEA*1*000000001~\n")


def generate_850s(path: Path, size: int) -> None:
    """Many interchanges, each holding one small 850 (three lines), until ``size`` bytes."""
    with path.open("w", encoding="ascii") as out:
        written, count = 0, 0
        while written < size:
            count += 1
            segs = [
                "ST*850*0001",
                f"BEG*00*SA*PO{count:08d}**20261123",
                "CUR*BY*USD",
                "REF*DP*042",
                "DTM*002*20261201",
                "TD5*B*2*UPSN*M",
                "N1*ST*BENCH RETAILER STORE 7*92*0007",
                "N3*7 MAIN ST",
                "N4*DAYTON*OH*45402*US",
            ]
            for line in range(1, 4):
                price = f"{line * 1.25:.2f}"
                segs += [
                    f"PO1*{line}*{line * 6}*EA*{price}**UP*01234567890{line}*VN*SKU-{line}",
                    f"PID*F****BENCH ITEM {line}",
                ]
            segs.append("CTT*3*36")
            segs.append(f"SE*{len(segs) + 1}*0001")
            text = (
                _isa(count)
                + f"GS*PO*BENCHRETAILER*BENCHSUPPLIER*20261123*1200*{count}*X*004010~\n"
                + "~\n".join(segs)
                + f"~\nGE*1*{count}~\nIEA*1*{count:09d}~\n"
            )
            out.write(text)
            written += len(text)


# -- one stage, run in a child process ---------------------------------------------------------


def _run_stage(stage: str, path: Path) -> dict[str, float]:
    """Runs in the child: performs ``stage`` over ``path``; returns segments and seconds."""
    sys.path.insert(0, str(ROOT))
    from adapters.formats.x12.reader import read_x12
    from adapters.formats.x12.structure import (
        GroupEnd,
        GroupStart,
        InterchangeEnd,
        InterchangeStart,
        TransactionSet,
    )

    segments = 0
    started = time.perf_counter()
    if stage == "pyx12":
        import pyx12.params
        import pyx12.x12n_document

        params = pyx12.params.params()
        from adapters.formats.x12.pyx12_engine import pyx12_document_maps

        with pyx12_document_maps() as map_dir, path.open(encoding="ascii") as src:
            started = time.perf_counter()
            pyx12.x12n_document.x12n_document(params, src, None, None, map_path=map_dir)
        segments = _count_segments(path)
    else:
        validator = None
        translate: Callable[[TransactionSet], object] | None = None
        if stage == "validate":
            from adapters.formats.x12.pyx12_engine import Pyx12Validator

            validator = Pyx12Validator()
        if stage == "translate":
            from adapters.formats.x12.translation import translate as translate_fn

            translate = translate_fn
        for event in read_x12(path, validator=validator):
            if isinstance(event, TransactionSet):
                segments += len(event.segments)
                if translate is not None:
                    translate(event)
            elif isinstance(event, InterchangeStart | GroupStart | GroupEnd | InterchangeEnd):
                segments += 1  # ISA, GS, GE, IEA
    seconds = time.perf_counter() - started
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"segments": segments, "seconds": seconds, "rss_mb": rss_kb / 1024}


def _count_segments(path: Path) -> int:
    with path.open("rb") as src:
        return sum(chunk.count(b"~") for chunk in iter(lambda: src.read(1 << 20), b""))


def _measure(stage: str, path: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", stage, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mb", type=float, default=50.0)
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--child", nargs=2, metavar=("STAGE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_run_stage(args.child[0], Path(args.child[1]))))
        return
    DATA.mkdir(parents=True, exist_ok=True)
    size = int(args.size_mb * 1_000_000)
    files = {
        "856": (DATA / f"bench-856-{args.size_mb:g}MB.edi", generate_856),
        "850s": (DATA / f"bench-850s-{args.size_mb:g}MB.edi", generate_850s),
    }
    print(f"{'file':6} {'stage':10} {'segments':>10} {'seconds':>8} {'seg/s':>10} {'MB/s':>7} "
          f"{'peak RSS MB':>11}")  # fmt: skip
    for label, (path, generate) in files.items():
        if not path.exists():
            generate(path, size)
        megabytes = os.path.getsize(path) / 1_000_000
        for stage in args.stages.split(","):
            r = _measure(stage, path)
            print(
                f"{label:6} {stage:10} {int(r['segments']):>10} {r['seconds']:>8.1f} "
                f"{r['segments'] / r['seconds']:>10,.0f} {megabytes / r['seconds']:>7.2f} "
                f"{r['rss_mb']:>11.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
