"""The cXML status reply: a partner whose profile asks for it (``[xml] reply = "cxml-status"``)
gets, for each file it sends, a cXML ``Response`` with the ``Status`` cXML gives a request
answered over HTTP: ``200 OK`` when every document was taken, ``400 Bad Request`` with the
first problems as the status text when the file could not be read or a document was refused.
A file refused as a whole for its sender (not among the partner's ids) gets none: the gateway
answers nobody it does not know.

The reply is drafted in the parse (a worker) and numbered in :meth:`XmlParser.reply`, which
draws its payloadID's number from the sequence :data:`SEQUENCE`; its file is
``<file stem>.<number>.response.xml`` in the partner's outbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePath

from lxml import etree

from gateway.control_numbers import ControlNumberCounter
from gateway.ports import ParseResult, Reply

SEQUENCE = "xml.reply"
DOCTYPE = '<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.014/cXML.dtd">'
MAX_TEXT = 500
"""The status text quotes the problems up to this many characters."""


@dataclass(frozen=True, slots=True)
class StatusOwed:
    """A status reply drafted in the parse, numbered when it is written."""

    file_name: str
    code: int
    text: str
    detail: str


def owed_status(result: ParseResult, file_name: str, taken: int) -> StatusOwed | None:
    """The status a file earns (None for one refused for its sender): ``result`` its verdict
    and error findings, ``taken`` the documents read from it."""
    if result.refused is not None:
        return None
    problems = [result.unreadable] if result.unreadable else []
    problems += [str(f.get("message")) for f in result.findings if f.get("severity") == "error"]
    if not problems:
        return StatusOwed(file_name, 200, "OK", f"{taken} document(s) taken")
    detail = "; ".join(problems)
    cut = detail if len(detail) <= MAX_TEXT else detail[: MAX_TEXT - 1] + "…"
    return StatusOwed(file_name, 400, "Bad Request", cut)


def render_status(owed: StatusOwed, counter: ControlNumberCounter, at: dt.datetime) -> Reply:
    """``owed`` as a cXML Response, its payloadID numbered from ``counter``."""
    number = counter.next(SEQUENCE)
    root = etree.Element("cXML")
    root.set("payloadID", f"{at:%Y%m%d%H%M%S}.{number}@edi-gateway")
    root.set("timestamp", at.isoformat(timespec="seconds"))
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
    status = etree.SubElement(etree.SubElement(root, "Response"), "Status")
    status.set("code", str(owed.code))
    status.set("text", owed.text)
    status.text = owed.detail
    body = etree.tostring(root, encoding="unicode", pretty_print=True)
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n{DOCTYPE}\n{body}'
    stem = PurePath(owed.file_name).stem or "file"
    return Reply(f"{stem}.{number}.response.xml", text)
