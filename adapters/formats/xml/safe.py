"""XML read safely: what partners send is parsed by lxml with every way out of the document shut.

- **No entities**: nothing is substituted (``resolve_entities=False``), and a document whose
  DOCTYPE declares any entity, or that refers to one, is refused whole. This refuses XXE (an
  entity naming a file or a URL), the "billion laughs" (entities of entities) and the quadratic
  blow-up (one large entity referred to many times) before anything is expanded.
- **No DTD loaded, nothing fetched**: ``load_dtd=False`` and ``no_network=True``. A DOCTYPE that
  only names a DTD (cXML's ``<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/...">``) is read past,
  never fetched; it is what every cXML document carries.
- **Bounded**: at most :data:`MAX_BYTES` bytes and :data:`MAX_DEPTH` levels of elements, and
  libxml2's own limits stay on (``huge_tree=False``: no text node over 10 MB).

Every refusal is an :class:`XmlRefused` whose ``code`` says which rule and whose message says
where (line and column) and what was found, for the quarantine report and the ledger.
"""

from __future__ import annotations

from typing import Any, Final

from lxml import etree

from gateway.errors import InputError

MAX_BYTES: Final = 64 * 1024 * 1024
"""The largest document read whole (larger XML is read as a stream, element by element)."""
MAX_DEPTH: Final = 64
"""The deepest nesting of elements accepted (cXML nests a dozen levels at most)."""


class XmlRefused(InputError):
    """A document the gateway does not read: ``code`` names the rule (``xml.entity``,
    ``xml.malformed``, ``xml.too_deep``, ``xml.too_large``), the message says where and why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,  # (collect_ids=False would have libxml2 try to load the DTD)
    )


def parse_xml(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> etree._Element:
    """The root element of ``data``; :class:`XmlRefused` when it is not XML the gateway reads."""
    if len(data) > max_bytes:
        raise XmlRefused(
            "xml.too_large", f"{len(data):,} bytes: more than the {max_bytes:,} read whole"
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        line, column = error.position
        # libxml2 stops entities exploding (amplification, loops) before we see the DOCTYPE
        code = "xml.entity" if "entit" in error.msg.lower() else "xml.malformed"
        raise XmlRefused(
            code, f"not well-formed XML at line {line}, column {column}: {error.msg}"
        ) from None
    dtd: Any = root.getroottree().docinfo.internalDTD  # lxml-stubs 0.5 lacks DTD.entities()
    declared = [entity.name for entity in dtd.entities()] if dtd is not None else []
    if declared:
        shown = ", ".join(str(name) for name in declared[:5])
        raise XmlRefused(
            "xml.entity",
            f"the DOCTYPE declares entities ({shown}): entities are never read (they are how "
            "XML reaches files and networks, or explodes in memory)",
        )
    _check_tree(root, max_depth)
    return root


def _check_tree(root: etree._Element, max_depth: int) -> None:
    """:class:`XmlRefused` on an entity reference or an element deeper than ``max_depth``."""
    depth = 0
    for event, node in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        if depth > max_depth:
            raise XmlRefused(
                "xml.too_deep",
                f"element <{etree.QName(node).localname}> at line {node.sourceline} is nested "
                f"{depth} deep: more than {max_depth}",
            )
        for child in node:
            if isinstance(child, etree._Entity):
                raise XmlRefused(
                    "xml.entity",
                    f"a reference to the entity {child.text} at line {child.sourceline}: "
                    "entities are never read",
                )
