"""The table of HL01 numbers a streamed 856's validation keeps (``_LevelCodes``, issue 26: a
1 GB 856 counts its HLs up to 9.8 million) grows by an eighth of its size, not by doubling: the
daemon's peak held a table of 16 MiB, every byte zeroed, for 9.8 million HLs."""

from __future__ import annotations

from adapters.formats.x12.set_stream import COUNTED_STEP, _LevelCodes


def test_the_hl_table_grows_by_an_eighth_and_keeps_every_level() -> None:
    levels = _LevelCodes()
    count = 600_000
    for number in range(1, count + 1):
        levels[str(number)] = "P" if number % 7 == 0 else "I"
    assert count < len(levels.counted) <= count + count // 8 + COUNTED_STEP + 1
    assert levels.others == {}
    assert (levels["1"], levels["7"], levels[str(count)]) == ("I", "P", "I")
    assert str(count + 1) not in levels and "0" not in levels
