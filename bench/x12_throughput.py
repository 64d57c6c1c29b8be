"""X12 engine throughput: reading + envelope checks, full validation, translation, beside pyx12.

Generates (once, under ``bench/data/``) files of about ``--size-mb`` each: 856 ship notices of
40 identical cartons (``856``), small 850 purchase orders (``850s``), and a realistic, varied 856
(``856v``: one transaction set, or ``--varied-sets`` of them, of cartons of 1 to 60 items with
optional segments present or not, see :func:`generate_varied_856`). Then it measures on each
file, every stage in a fresh subprocess so that peak RSS is the stage's own:

  (a) read              tokenizer + envelope checks (``read_x12`` without a validator)
  (b) validate          read + syntax validation by pyx12's walker (``Pyx12Validator``)
  (b') validate-compiled read + syntax validation by the compiled maps (``CompiledValidator``)
  (c) translate         read + translation of every transaction set to its canonical message
  pyx12                 pyx12's own ``x12n_document`` on the same file with the same maps

For the validation stages the validator's own time is measured as well (``validator s``:
segments/s of validation alone, reading left out).

Huge single sets (issue 26): ``856h`` and ``846h`` are ONE transaction set of ``--huge-mb``
(1,000 MB by default): the varied 856 above, and an 846 of LIN loops of varied structure (one to
four QTY loops, lots in LS/LE loops, a location N1, PID, MEA, DTM and REF present or not, see
:func:`generate_varied_846`). They are read as the gateway reads a set of any size, a segment
at a time (adapters/formats/x12/set_stream.py), never held whole:

  stream-read       tokenizer and envelopes, the set's segments counted
  stream-validate   + each segment through the compiled map (StreamedValidation)
  stream-translate  + each segment into the canonical message's parts (AdviceInParts,
                    ShipNoticeInParts), the parts' JSON made and dropped
  stream-verdicts   the first pass of a file read as a stream of parts
                    (streaming.envelope_verdicts: envelopes only, a huge set's interior
                    skipped by the tokenizer)
  stream-parts      the whole read of a file as a stream of parts (X12Parser.parse_stream:
                    that first pass, then the parse, validated and translated, into parts)
  pyx12             pyx12 on a ``--pyx12-mb`` slice (5 MB by default: the same generator, as
                    large) when the huge file would take hours; the line says so (so does any
                    stage of the whole path named in ``--huge-stages``, e.g. translate, which
                    holds the set whole and cuts it at 2,000,000 segments)

The ``stage seg/CPU s`` column is a stage's own rate (its CPU time less stream-read's); with
pyx12 among the stages, a last line per file gives the streamed stages' ``seg/CPU s`` (reading
included) in times pyx12's. A set
of a gigabyte is over the standard's repeat counts (10,000 LIN loops in an 846, 200,000 HL
loops in an 856), so its validation finds one error per loop over the limit: the findings
column counts them (a thousand kept, the rest counted).

Run:  .venv/bin/python bench/x12_throughput.py [--size-mb 50] [--files 856v] [--stages ...]
It prints one line per file and stage: wall and CPU seconds, segments and MB per CPU second
(the stages are single-threaded: a CPU second is a second on one core, whatever else the machine
runs), and peak RSS. Each stage runs with the garbage collector as the daemon sets it where it
reads files (``gateway.runtime.workers.settle_heap``), its maps loaded before.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
STAGES = ("read", "validate", "validate-compiled", "translate", "pyx12")
STREAM_STAGES = ("stream-read", "stream-validate", "stream-translate", "pyx12")
PARTS_STAGES = ("stream-verdicts", "stream-parts")
"""Stages of the whole path of a file read as a stream (not in the defaults: a gigabyte's
parse takes minutes)."""
FILES = ("856", "850s", "856v")
HUGE_FILES = ("856h", "846h")


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


def generate_varied_856(path: Path, size: int, sets: int = 1) -> None:
    """``sets`` 856s (one by default) filling ``size`` bytes, as a full truck's ASN looks: one
    shipment, an order every 20 to 200 cartons, cartons of 1 to 60 items of different products,
    and the optional segments present or not (carton MEA, TD1, PO4, PID, REF lots, DTM expiry,
    a second item id, TD3 on the shipment). Deterministic (a fixed seed); valid against the
    project's 856 map."""
    rng = random.Random(856)
    per_set = size // sets
    with path.open("w", encoding="ascii") as out:
        out.write(_isa(1))
        out.write("GS*SH*BENCHSUPPLIER*BENCHRETAILER*20261123*1200*1*X*004010~\n")
        sscc = 0
        for number in range(1, sets + 1):
            st = f"{number:04d}"
            head = [
                f"ST*856*{st}",
                f"BSN*00*ASN{number:08d}*20261123*1200*0001",
                "DTM*011*20261123*1200",
                "HL*1**S*1",
                f"TD1*CTN25*{rng.randint(1, 9999)}****G*{rng.randint(100, 99999)}*LB",
                "TD5*B*2*UPSN*M*UPS GROUND",
                "TD3*TL*ABCD*123456",
                f"REF*BM*BOL{number:010d}",
                f"REF*CN*PRO{rng.randint(1, 10**9):09d}",
                "N1*SF*BENCH SUPPLIER*UL*0614141000005",
                "N3*1 INDUSTRIAL WAY",
                "N4*SPRINGFIELD*IL*62701*US",
                "N1*ST*BENCH RETAILER DC 12*UL*0614141000012",
                "N3*99 DISTRIBUTION DR*DOCK 4",
                "N4*COLUMBUS*OH*43004*US",
            ]
            out.write("~\n".join(head) + "~\n")
            count, hl, written, cartons_left, order = len(head), 1, 0, 0, 0
            while written < per_set:
                lines: list[str] = []
                if cartons_left == 0:
                    order += 1
                    hl += 1
                    order_hl, cartons_left = hl, rng.randint(20, 200)
                    lines += [
                        f"HL*{hl}*1*O*1",
                        f"PRF*PO{number:03d}{order:06d}***2026{rng.randint(1, 12):02d}"
                        f"{rng.randint(1, 28):02d}",
                    ]
                    if rng.random() < 0.5:
                        lines.append(f"REF*IA*{rng.randint(1000, 99999)}")
                cartons_left -= 1
                sscc += 1
                hl += 1
                pack = hl
                lines += [f"HL*{pack}*{order_hl}*P*1"]
                if rng.random() < 0.3:
                    lines.append(f"MEA*PD*WT*{rng.randint(1, 700) / 10:g}*LB")
                if rng.random() < 0.2:
                    lines.append(f"TD1*CTN25*1****G*{rng.randint(1, 70)}*LB")
                lines.append(f"MAN*GM*000614141{sscc:011d}")
                for line in range(1, rng.choice((1, 1, 2, 3, 6, 12, 24, 36, 48, 60)) + 1):
                    hl += 1
                    sku = rng.randint(1, 250_000)
                    lin = f"LIN*{line}*UP*{sku:012d}*VN*SKU-{sku:07d}"
                    if rng.random() < 0.4:
                        lin += f"*BP*B{sku:08d}"
                    quantity = rng.choice((1, 2, 3, 4, 6, 12, 24, 48, rng.randint(1, 999)))
                    lines += [
                        f"HL*{hl}*{pack}*I*0",
                        lin,
                        f"SN1**{quantity}*{rng.choice(('EA', 'EA', 'CA', 'PK', 'DZ'))}",
                    ]
                    if rng.random() < 0.35:
                        lines.append(f"PO4*{rng.choice((1, 6, 12, 24))}*{rng.randint(1, 64)}*OZ")
                    if rng.random() < 0.6:
                        colour = rng.choice(("BLUE", "RED", "GREEN", "BLACK", "WHITE"))
                        lines.append(f"PID*F****BENCH WIDGET {sku % 997}, {colour}")
                    if rng.random() < 0.15:
                        lines.append(f"MEA*PD*WT*{rng.randint(1, 500) / 10:g}*LB")
                    if rng.random() < 0.2:
                        lines.append(f"REF*LT*LOT{rng.randint(1, 10**6):06d}")
                    if rng.random() < 0.1:
                        lines.append(
                            f"DTM*036*20{rng.randint(27, 35)}{rng.randint(1, 12):02d}"
                            f"{rng.randint(1, 28):02d}"
                        )
                text = "~\n".join(lines) + "~\n"
                out.write(text)
                written += len(text)
                count += len(lines)
            tail = [f"CTT*{hl}"]
            tail.append(f"SE*{count + len(tail) + 1}*{st}")
            out.write("~\n".join(tail) + "~\n")
        out.write(f"GE*{sets}*1~\nIEA*1*000000001~\n")


def generate_varied_846(path: Path, size: int) -> None:
    """ONE 846 set filling ``size`` bytes: a warehouse's whole catalog, LIN loops of one to
    four quantities (on hand, available, on hold with its unit in a UIT, in transit), lots with
    expiry dates in LS/LE loops, a location N1, and PID, MEA, DTM and REF present or not.
    Deterministic (a fixed seed)."""
    rng = random.Random(846)
    head = [
        "ST*846*0001",
        "BIA*00*SI*INV00000001*20261123*1200",
        "CUR*SE*USD",
        "DTM*007*20261123*1200",
        "REF*IA*V-88",
        "N1*WH*BENCH DC EAST*92*DC-EAST",
        "N3*1 DOCK RD",
        "N4*NEWARK*NJ*07101*US",
        "N1*SE*BENCH SUPPLIER*92*W1",
    ]
    with path.open("w", encoding="ascii") as out:
        out.write(_isa(1))
        out.write("GS*IB*BENCHSUPPLIER*BENCHRETAILER*20261123*1200*1*X*004010~\n")
        out.write("~\n".join(head) + "~\n")
        count, written, line = len(head), 0, 0
        while written < size:
            line += 1
            sku = rng.randint(1, 2_000_000)
            lin = f"LIN*{line}*UP*{sku:012d}*VN*SKU-{sku:07d}"
            if rng.random() < 0.3:
                lin += f"*BP*B{sku:08d}"
            lines = [lin]
            if rng.random() < 0.6:
                lines.append(f"PID*F****BENCH ITEM {sku % 997} {rng.choice(('S', 'M', 'L'))}")
            if rng.random() < 0.15:
                lines.append(f"MEA*PD*WT*{rng.randint(1, 500) / 10:g}*LB")
            if rng.random() < 0.1:
                lines.append(f"DTM*036*20{rng.randint(27, 35)}{rng.randint(1, 12):02d}01")
            if rng.random() < 0.1:
                lines.append(f"REF*ZZ*ZONE-{rng.randint(1, 40)}")
            lines.append(f"QTY*17*{rng.randint(0, 9999)}*EA")
            if rng.random() < 0.7:
                lines.append(f"QTY*33*{rng.randint(0, 9999)}*EA")
            if rng.random() < 0.2:
                lines.append("LS*LT")
                for _ in range(rng.randint(1, 3)):
                    lines.append(f"REF*LT*L{rng.randint(1, 10**6):06d}")
                    if rng.random() < 0.5:
                        lines.append(f"DTM*036*20{rng.randint(27, 35)}{rng.randint(1, 12):02d}15")
                lines.append("LE*LT")
            if rng.random() < 0.1:
                lines += [f"QTY*QH*{rng.randint(1, 99)}", "UIT*CA"]
            if rng.random() < 0.1:
                lines.append(f"QTY*IQ*{rng.randint(1, 999)}*EA")
            if rng.random() < 0.3:
                aisle = rng.randint(1, 99)
                lines.append(f"N1*LC*AISLE {aisle}*92*A{aisle}")
            text = "~\n".join(lines) + "~\n"
            out.write(text)
            written += len(text)
            count += len(lines)
        out.write(f"CTT*{line}~\nSE*{count + 2}*0001~\nGE*1*1~\nIEA*1*000000001~\n")


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


def _run_stream_stage(stage: str, path: Path) -> dict[str, float]:
    """Runs in the child: ``stage`` (stream-*) over ``path``, each set read a segment at a
    time, never held whole; returns segments, seconds, findings and parts."""
    sys.path.insert(0, str(ROOT))
    if stage in PARTS_STAGES:
        return _run_parts_stage(stage, path)
    from adapters.formats.x12.compiled import CompiledValidator
    from adapters.formats.x12.reader import _EnvelopeReader
    from adapters.formats.x12.segments import Segment
    from adapters.formats.x12.set_stream import StreamedValidation, translation_in_parts
    from adapters.formats.x12.structure import TransactionSet
    from adapters.formats.x12.tokenizer import InterchangeOpening, Tokenizer

    validator = CompiledValidator(loop_tree=False)
    if stage == "stream-validate":
        validator.preload()  # the maps loaded and compiled before, as a daemon does
    _settle_heap()
    segments = findings = parts = 0
    part_bytes = 0
    validation: StreamedValidation | None = None
    translation: Any = None
    started, cpu_started = time.perf_counter(), time.process_time()
    with path.open("rb") as stream:
        reader = _EnvelopeReader(Tokenizer(stream), str(path), None)
        for token in reader.tokens:
            if isinstance(token, InterchangeOpening):
                for _ in reader._open_interchange(token):
                    pass
                segments += 1
                continue
            if not isinstance(token, Segment):
                continue
            segments += 1
            tag = token.tag
            if tag == "ST" and reader.interchange is not None and reader.group is not None:
                opening = TransactionSet(reader.interchange, reader.group.header, [token])
                if stage == "stream-validate":
                    validation = StreamedValidation(validator, opening)
                elif stage == "stream-translate":
                    translation = translation_in_parts(opening)
            elif tag == "SE":
                if validation is not None:
                    validation.feed(token)
                    findings += len(validation.finish(saw_se=True)) + validation.left_off
                    validation = None
                if translation is not None:
                    result = translation.finish()
                    chunks = translation.last_chunks()
                    parts += len(chunks) + 1
                    part_bytes += sum(len(c) for c in chunks)
                    assert result is not None, "a hierarchy not in document order"
                    translation = None
            elif tag == "GS":
                for _ in reader._open_group(token):
                    pass
            elif tag in ("GE", "IEA"):
                pass
            elif validation is not None:
                validation.feed(token)
            elif translation is not None:
                for chunk in translation.feed(token):
                    parts += 1
                    part_bytes += len(chunk)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    return {
        "segments": segments,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "findings": findings,
        "parts": parts,
        "part_mb": part_bytes / 1_000_000,
    }


def _run_stage(stage: str, path: Path) -> dict[str, float]:
    """Runs in the child: performs ``stage`` over ``path``; returns segments and seconds."""
    sys.path.insert(0, str(ROOT))
    if stage.startswith("stream-"):
        return _run_stream_stage(stage, path)
    from adapters.formats.x12.reader import read_x12
    from adapters.formats.x12.structure import (
        GroupEnd,
        GroupStart,
        InterchangeEnd,
        InterchangeStart,
        TransactionSet,
    )

    segments = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    if stage == "pyx12":
        import pyx12.params
        import pyx12.x12n_document

        params = pyx12.params.params()
        from adapters.formats.x12.pyx12_engine import pyx12_document_maps

        with pyx12_document_maps() as map_dir, path.open(encoding="ascii") as src:
            _settle_heap()
            started, cpu_started = time.perf_counter(), time.process_time()
            pyx12.x12n_document.x12n_document(params, src, None, None, map_path=map_dir)
        segments = _count_segments(path)
    else:
        validator: Any = None
        translate: Callable[[TransactionSet], object] | None = None
        if stage == "validate":
            from adapters.formats.x12.pyx12_engine import Pyx12Validator

            validator = _Timed(Pyx12Validator())
        if stage == "validate-compiled":
            from adapters.formats.x12.compiled import CompiledValidator

            validator = _Timed(CompiledValidator(loop_tree=False))  # as the gateway's default
        if stage == "translate":
            from adapters.formats.x12.translation import translate as translate_fn

            translate = translate_fn
        # the maps are loaded (and compiled) before, by preload()
        _settle_heap()
        started, cpu_started = time.perf_counter(), time.process_time()
        for event in read_x12(path, validator=validator):
            if isinstance(event, TransactionSet):
                segments += len(event.segments)
                if translate is not None:
                    translate(event)
            elif isinstance(event, InterchangeStart | GroupStart | GroupEnd | InterchangeEnd):
                segments += 1  # ISA, GS, GE, IEA
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "segments": segments,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rss_mb": rss_kb / 1024,
    }
    if stage.startswith("validate"):
        result["validator_seconds"] = validator.seconds
        result["findings"] = validator.findings
    return result


def _settle_heap() -> None:
    """The collector as the daemon sets it where it reads files (its parse workers and its
    large-file lane): the code and maps loaded so far set aside, collections every 50,000
    allocations (:func:`gateway.runtime.workers.settle_heap`)."""
    from gateway.runtime.workers import settle_heap

    settle_heap()


class _Timed:
    """A validator whose own CPU time is added up (what the validation stages report apart)."""

    def __init__(self, validator: Any) -> None:
        self.validator = validator
        self.seconds = 0.0
        self.findings = 0
        validator.preload()

    def supports(self, transaction: Any) -> bool:
        return bool(self.validator.supports(transaction))

    def validate(self, transaction: Any) -> Any:
        started = time.process_time()
        result = self.validator.validate(transaction)
        self.seconds += time.process_time() - started
        self.findings += len(result.findings)
        return result


def _run_parts_stage(stage: str, path: Path) -> dict[str, float]:
    """Runs in the child: ``stage`` (:data:`PARTS_STAGES`) over ``path``, as the gateway reads
    a file as a stream (its maps loaded before)."""
    from adapters.formats.x12 import streaming
    from adapters.formats.x12.inbound import SenderRules, X12Parser
    from adapters.formats.x12.report import default_validator

    validator: Any = default_validator()
    validator.preload()
    _settle_heap()
    parts = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    with path.open("rb") as stream:
        if stage == "stream-verdicts":
            streaming.envelope_verdicts(stream, path.name, None, SenderRules())
        else:
            for _ in X12Parser().parse_stream(stream, file_name=path.name):
                parts += 1
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    return {
        "segments": _count_segments(path),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "parts": parts,
    }


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
    parser.add_argument("--files", default=",".join(FILES), help="856, 850s, 856v")
    parser.add_argument("--varied-sets", type=int, default=1, help="856 sets in the 856v file")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument(
        "--huge", default=",".join(HUGE_FILES), help="856h, 846h: one set each (empty: none)"
    )
    parser.add_argument("--huge-mb", type=float, default=1000.0, help="size of 856h and 846h")
    parser.add_argument("--huge-stages", default=",".join(STREAM_STAGES))
    parser.add_argument(
        "--pyx12-mb", type=float, default=5.0, help="pyx12 on a slice this large of a huge file"
    )
    parser.add_argument("--child", nargs=2, metavar=("STAGE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_run_stage(args.child[0], Path(args.child[1]))))
        return
    DATA.mkdir(parents=True, exist_ok=True)
    size = int(args.size_mb * 1_000_000)
    sets = args.varied_sets
    files: dict[str, tuple[Path, Callable[[Path, int], None]]] = {
        "856": (DATA / f"bench-856-{args.size_mb:g}MB.edi", generate_856),
        "850s": (DATA / f"bench-850s-{args.size_mb:g}MB.edi", generate_850s),
        "856v": (
            DATA / f"bench-856v-{args.size_mb:g}MB-{sets}sets.edi",
            lambda path, size: generate_varied_856(path, size, sets),
        ),
    }
    print(
        f"{'file':6} {'stage':17} {'segments':>10} {'wall s':>7} {'CPU s':>7} {'seg/CPU s':>10} "
        f"{'MB/CPU s':>8} {'peak RSS MB':>11} {'validator CPU s':>15} {'validator seg/CPU s':>19} "
        f"{'findings':>8}"
    )
    for label in filter(None, args.files.split(",")):
        path, generate = files[label]
        if not path.exists():
            generate(path, size)
        megabytes = os.path.getsize(path) / 1_000_000
        for stage in args.stages.split(","):
            r = _measure(stage, path)
            cpu = r["cpu_seconds"]
            line = (
                f"{label:6} {stage:17} {int(r['segments']):>10} {r['seconds']:>7.1f} {cpu:>7.1f} "
                f"{r['segments'] / cpu:>10,.0f} {megabytes / cpu:>8.2f} {r['rss_mb']:>11.0f}"
            )
            if "validator_seconds" in r:
                alone = r["validator_seconds"]
                line += f" {alone:>15.1f} {r['segments'] / alone:>19,.0f} {int(r['findings']):>8}"
            print(line, flush=True)

    if args.huge:
        _huge(args)


def _huge(args: argparse.Namespace) -> None:
    """The huge single sets (see the module's docstring)."""
    huge: dict[str, Callable[[Path, int], None]] = {
        "856h": generate_varied_856,
        "846h": generate_varied_846,
    }
    print(
        f"\n{'file':6} {'stage':17} {'segments':>11} {'wall s':>7} {'CPU s':>7} {'seg/CPU s':>10} "
        f"{'stage seg/CPU s':>15} {'peak RSS MB':>11} {'findings':>9} {'parts':>6} "
        f"{'parts MB':>8}"
    )
    for label in filter(None, args.huge.split(",")):
        generate = huge[label]
        path = DATA / f"bench-{label}-{args.huge_mb:g}MB.edi"
        if not path.exists():
            generate(path, int(args.huge_mb * 1_000_000))
        read_cpu = 0.0
        rates: dict[str, float] = {}
        for stage in args.huge_stages.split(","):
            measured, name = path, stage
            if stage in STAGES and args.pyx12_mb < args.huge_mb:  # the whole path too
                measured = DATA / f"bench-{label}-{args.pyx12_mb:g}MB.edi"
                name = f"{stage} {args.pyx12_mb:g}MB slice"
                if not measured.exists():
                    generate(measured, int(args.pyx12_mb * 1_000_000))
            r = _measure(stage, measured)
            cpu = r["cpu_seconds"]
            if stage == "stream-read":
                read_cpu = cpu
            streamed = stage.startswith("stream-") and stage not in PARTS_STAGES
            own = cpu - read_cpu if streamed and stage != "stream-read" else cpu
            own_rate = f"{r['segments'] / own:>15,.0f}" if own > 0 else f"{'':>15}"
            rates[stage] = r["segments"] / cpu
            print(
                f"{label:6} {name:17} {int(r['segments']):>11,} {r['seconds']:>7.1f} {cpu:>7.1f} "
                f"{r['segments'] / cpu:>10,.0f} {own_rate} {r['rss_mb']:>11.0f} "
                f"{int(r.get('findings', 0)):>9} {int(r.get('parts', 0)):>6} "
                f"{r.get('part_mb', 0.0):>8.0f}",
                flush=True,
            )
        if "pyx12" in rates:
            for stage in ("stream-validate", "stream-translate"):
                if stage in rates:
                    print(
                        f"{label:6} {stage} / pyx12: {rates[stage] / rates['pyx12']:.1f} times "
                        "its segments per CPU second",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
