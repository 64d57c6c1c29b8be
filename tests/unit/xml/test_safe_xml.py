"""XML is read with every way out of the document shut (adapters/formats/xml/safe.py): XXE,
billion laughs, quadratic blow-up, external DTDs and too deep nesting are refused with a finding
that says which rule and where; nothing is fetched (a real HTTP server on loopback counts the
requests); cXML's DOCTYPE is read past, never fetched."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.formats.xml.safe import XmlRefused, parse_xml

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "other"


class _Counting(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 - shared by the server's handlers, on purpose

    def do_GET(self) -> None:
        _Counting.requests.append(self.path)
        body = b'<!ENTITY leak "fetched">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    """A real HTTP server on a free loopback port; its URL. Requests are counted."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    _Counting.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def refusal(data: bytes) -> XmlRefused:
    with pytest.raises(XmlRefused) as caught:
        parse_xml(data)
    return caught.value


def test_xxe_naming_a_file_is_refused_and_the_file_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>&x;</r>'
    ).encode()
    refused = refusal(data)
    assert refused.code == "xml.entity" and "(x)" in str(refused)
    assert "TOP-SECRET" not in str(refused)


def test_an_external_entity_or_dtd_on_the_network_is_never_fetched(server: str) -> None:
    entity = f'<!DOCTYPE r [<!ENTITY x SYSTEM "{server}/x">]><r>&x;</r>'.encode()
    assert refusal(entity).code == "xml.entity"
    parameter = f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{server}/p"> %p;]><r/>'.encode()
    with pytest.raises(XmlRefused):
        parse_xml(parameter)
    dtd = f'<!DOCTYPE r SYSTEM "{server}/r.dtd"><r>&leak;</r>'.encode()
    with pytest.raises(XmlRefused):
        parse_xml(dtd)
    assert _Counting.requests == []


def test_billion_laughs_is_refused_at_once() -> None:
    levels = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    ]
    data = f'<?xml version="1.0"?><!DOCTYPE r [{"".join(levels)}]><r>&l9;</r>'.encode()
    started = time.perf_counter()
    assert refusal(data).code == "xml.entity"
    assert time.perf_counter() - started < 1.0


def test_quadratic_blow_up_is_refused() -> None:
    big = "x" * 100_000
    data = f'<!DOCTYPE r [<!ENTITY a "{big}">]><r>{"&a;" * 10_000}</r>'.encode()
    assert refusal(data).code == "xml.entity"


def test_too_deep_nesting_and_too_large_documents_are_refused() -> None:
    deep = b"<a>" * 100 + b"</a>" * 100
    refused = refusal(deep)
    assert refused.code == "xml.too_deep" and "line 1" in str(refused)
    with pytest.raises(XmlRefused) as caught:
        parse_xml(b"<r>" + b"x" * 2000 + b"</r>", max_bytes=1000)
    assert caught.value.code == "xml.too_large"


def test_malformed_xml_says_where() -> None:
    refused = refusal(b"<r>\n  <open>\n</r>")
    assert refused.code == "xml.malformed" and "line 3" in str(refused)


def test_cxml_doctype_is_read_past_and_never_fetched(server: str) -> None:
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<!DOCTYPE cXML SYSTEM "{server}/cXML.dtd">'
        '<cXML payloadID="1@x" timestamp="2026-12-05T00:00:00Z"><Request/></cXML>'
    ).encode()
    root = parse_xml(data)
    assert root.tag == "cXML" and root.get("payloadID") == "1@x"
    assert _Counting.requests == []


def test_every_xml_file_of_the_public_corpus_is_read() -> None:
    """Partners' real documents (cXML with their DOCTYPE, Bots' and EdiEngine's XML) all read."""
    files = sorted(CORPUS.glob("*.xml"))
    assert len(files) >= 10, f"the corpus's XML files are missing from {CORPUS}"
    roots = {path.name: parse_xml(path.read_bytes()).tag for path in files}
    assert sum(tag == "cXML" for tag in roots.values()) >= 7, roots
