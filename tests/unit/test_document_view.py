"""What a document's page reads from disk and how it shows X12: only files inside the
gateway's folders (a link or a path leading out of them is not followed), at most 1 MB
(saying so), one segment per line whatever the terminator, ISA passwords masked."""

from __future__ import annotations

from pathlib import Path

from gateway.ledger.document_view import SHOWN_BYTES, masked_security, read_kept_file, segments


def test_a_file_inside_the_folders_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    (archive / "acme").mkdir(parents=True)
    (archive / "acme" / "order.x12").write_text("ISA*00~")
    kept = read_kept_file(str(archive / "acme" / "order.x12"), [archive])
    assert kept is not None
    assert (kept.text, kept.size, kept.cut, kept.why_not) == ("ISA*00~", 7, False, None)


def test_a_path_or_a_link_leading_out_of_the_folders_is_not_read(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    (archive / "link.x12").symlink_to(secret)
    for path in (secret, archive / "link.x12", archive / ".." / "secret.txt"):
        kept = read_kept_file(str(path), [archive])
        assert kept is not None
        assert kept.text is None
        assert kept.why_not == "outside the gateway's folders: not read"
    assert read_kept_file(None, [archive]) is None


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    kept = read_kept_file(str(tmp_path / "gone.x12"), [tmp_path])
    assert kept is not None
    assert kept.why_not == "no longer on disk (pruned or moved)"


def test_at_most_a_megabyte_is_shown_and_the_cut_is_said(tmp_path: Path) -> None:
    big = tmp_path / "big.x12"
    big.write_bytes(b"A" * (SHOWN_BYTES + 10))
    kept = read_kept_file(str(big), [tmp_path])
    assert kept is not None and kept.text is not None
    assert (len(kept.text), kept.size, kept.cut) == (SHOWN_BYTES, SHOWN_BYTES + 10, True)


def test_x12_is_one_segment_per_line_whatever_its_terminator() -> None:
    isa = (
        "ISA*00*          *00*          *ZZ*ACME           *ZZ*GATEWAY        *261123*1200*U*"
        "00401*000000001*0*P*>"
    )
    assert segments(f"{isa}!GS*PO!ST*850*0001!") == [f"{isa}!", "GS*PO!", "ST*850*0001!"]
    assert segments(f"{isa}~\nGS*PO~\r\nSE*2~\n") == [f"{isa}~", "GS*PO~", "SE*2~"]
    assert segments("a,b\nc,d\n") == ["a,b", "c,d"]


def test_the_passwords_of_every_isa_are_masked_wherever_the_file_is_shown(tmp_path: Path) -> None:
    secret = (
        "ISA*01*PASS-WORD1*01*TOPSECRET *ZZ*ACME           *ZZ*GATEWAY        *261123*1200*U*"
        "00401*000000001*0*P*>~GS*PO~"
    )
    blank = secret.replace("PASS-WORD1", " " * 10).replace("TOPSECRET ", " " * 10)
    masked = masked_security(secret + "\n" + secret)
    assert "PASS-WORD1" not in masked and "TOPSECRET" not in masked
    assert masked.count("ISA*01*##########*01*##########*ZZ*ACME") == 2
    assert len(masked) == len(secret) * 2 + 1  # fixed width kept
    assert masked_security(blank) == blank  # nothing to hide
    assert (
        masked_security("ISA is a word, not an interchange") == "ISA is a word, not an interchange"
    )
    assert "TOPSECRET" not in segments(secret)[0]
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "f.x12").write_text(secret)
    kept = read_kept_file(str(folder / "f.x12"), [folder])
    assert kept is not None and kept.text is not None and "PASS-WORD1" not in kept.text
