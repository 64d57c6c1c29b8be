"""Access to the shared public corpus (``../shared/corpus``), read in place, never copied."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
MANIFEST = CORPUS / "MANIFEST.tsv"

RESULT_TABLE: list[str] = []
"""Lines of the per-file result table, printed at the end of the run (see conftest.py)."""
OTHER_TABLE: list[str] = []
"""The same for the flat files and XML."""
COMPILED_TABLE: list[str] = []
"""The compiled validator against pyx12, one line per file (test_compiled_validator.py)."""


@dataclass(frozen=True)
class CorpusFile:
    name: str
    path: Path
    transaction_sets: str
    version: str
    valid_guess: str
    notes: str

    @property
    def deliberately_broken(self) -> bool:
        return "DELIBERATELY BROKEN" in self.notes

    @property
    def short(self) -> str:
        return self.name.removeprefix("x12/").removeprefix("other/")


def x12_files() -> list[CorpusFile]:
    return _files("x12/")


def other_files() -> list[CorpusFile]:
    """The flat files and XML (``other/``): cXML, Bots' fixed width, CSV and XML..."""
    return _files("other/")


def _files(folder: str) -> list[CorpusFile]:
    if not MANIFEST.exists():
        raise FileNotFoundError(
            f"the shared corpus is missing: {MANIFEST} (it sits next to the repository)"
        )
    with MANIFEST.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        CorpusFile(
            row["saved_name"],
            CORPUS / row["saved_name"],
            row["transaction_set(s)"],
            row["version"],
            row["valid_guess"],
            row["notes"],
        )
        for row in rows
        if row["saved_name"].startswith(folder)
    ]
