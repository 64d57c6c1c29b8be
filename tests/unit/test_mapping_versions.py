"""A mapping used to write documents is cached, and read again once its file changes: a
mapping edited on disk takes effect without a restart (issue 23)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters.formats.delimited.rendering import render_mapping
from gateway.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_a_render_mapping_is_read_again_when_its_file_changes(tmp_path: Path) -> None:
    text = (ROOT / "mappings" / "csv" / "example-asn.toml").read_text()
    path = tmp_path / "asn.toml"
    path.write_text(text)
    first = render_mapping("asn", tmp_path)
    assert render_mapping("asn", tmp_path) is first  # cached while the file stays
    path.write_text(text.replace('description = "', 'description = "edited ', 1))
    os.utime(path, ns=(1, 1))  # another time of change, whatever the clock's resolution
    edited = render_mapping("asn", tmp_path)
    assert edited is not first and edited.mapping.description.startswith("edited")
    path.unlink()
    with pytest.raises(ConfigError, match="cannot read"):
        render_mapping("asn", tmp_path)
