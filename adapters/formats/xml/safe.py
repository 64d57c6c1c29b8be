"""XML read safely: what partners send is parsed by lxml with every way out of the document shut.

- **No entities**: nothing is substituted (``resolve_entities=False``), and a document whose
  DOCTYPE declares any entity, or that refers to one, is refused whole. This refuses XXE (an
  entity naming a file or a URL), the "billion laughs" (entities of entities) and the quadratic
  blow-up (one large entity referred to many times) before anything is expanded.
- **No DTD loaded, nothing fetched**: ``load_dtd=False`` and ``no_network=True``. A DOCTYPE that
  only names a DTD (cXML's ``<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/...">``) is read past,
  never fetched; it is what every cXML document carries.
- **Bounded**: at most :data:`MAX_DEPTH` levels of elements, and libxml2's own limits stay on
  (``huge_tree=False``: no text node over 10 MB); a file read whole (:func:`parse_xml`) is at
  most :data:`MAX_BYTES`, one read as a stream (:class:`ElementStream`: ``iterparse``, each
  document dropped once read) any size, in the memory of its largest document, and no
  document (nothing read since the last one) is over :data:`MAX_DOCUMENT_BYTES`: a tree takes
  some six times its XML in memory, and the message read from it as much again.

Every refusal is an :class:`XmlRefused` whose ``code`` says which rule and whose message says
where (line and column) and what was found, for the quarantine report and the ledger.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import IO, Any, Final

from lxml import etree

from gateway.errors import InputError

MAX_BYTES: Final = 64 * 1024 * 1024
"""The largest file :func:`parse_xml` reads whole (:class:`ElementStream` reads any size)."""
MAX_DEPTH: Final = 64
"""The deepest nesting of elements accepted (cXML nests a dozen levels at most)."""
MAX_DOCUMENT_BYTES: Final = 16 * 1024 * 1024
"""The most XML an :class:`ElementStream` reads past without a document ending: some 30,000
cXML ``ItemOut`` lines, which take a few hundred MB once read; a larger document is refused
(``xml.too_large``) rather than held."""


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


def _refusal(error: etree.XMLSyntaxError) -> XmlRefused:
    line, column = error.position
    # libxml2 stops entities exploding (amplification, loops) before we see the DOCTYPE
    code = "xml.entity" if "entit" in error.msg.lower() else "xml.malformed"
    return XmlRefused(code, f"not well-formed XML at line {line}, column {column}: {error.msg}")


def _no_entities_declared(tree: etree._ElementTree) -> None:
    dtd: Any = tree.docinfo.internalDTD  # lxml-stubs 0.5 lacks DTD.entities()
    declared = [entity.name for entity in dtd.entities()] if dtd is not None else []
    if declared:
        shown = ", ".join(str(name) for name in declared[:5])
        raise XmlRefused(
            "xml.entity",
            f"the DOCTYPE declares entities ({shown}): entities are never read (they are how "
            "XML reaches files and networks, or explodes in memory)",
        )


class ElementStream:
    """The elements at some paths of an XML file read as a stream (``iterparse``), under the
    rules of :func:`parse_xml`: iterating gives each such element once it has ended, with its
    path (its tags from the root's, in Clark notation); once the next is asked for, it is
    emptied and dropped from the tree. The rest of the tree stays (what comes before a
    document, such as a cXML Header, can still be read from it), and :attr:`root` is the root
    once the file is read. :class:`XmlRefused` when the file is not XML the gateway reads, or
    when more than ``max_document_bytes`` of it come without a document ending."""

    def __init__(
        self,
        source: IO[bytes],
        paths: Collection[tuple[str, ...]],
        *,
        max_depth: int = MAX_DEPTH,
        max_document_bytes: int | None = None,
    ) -> None:
        self.source = _Counted(source)
        self.paths = paths
        self.max_depth = max_depth
        self.max_document_bytes = max_document_bytes or MAX_DOCUMENT_BYTES
        self.root: etree._Element | None = None

    def __iter__(self) -> Iterator[tuple[tuple[str, ...], etree._Element]]:
        events = etree.iterparse(
            self.source,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
        )
        path: list[str] = []
        ended_at = 0  # the bytes read when the last document ended
        began: int | None = None  # the line of the first element since
        try:
            for event, element in events:
                if event == "start":
                    if not path:
                        self.root = element
                        _no_entities_declared(element.getroottree())
                    elif began is None:
                        began = element.sourceline
                    elif self.source.read_bytes - ended_at > self.max_document_bytes:
                        raise XmlRefused(
                            "xml.too_large",
                            f"the document from line {began} is still open at line "
                            f"{element.sourceline}, past {self.max_document_bytes:,} bytes of "
                            "XML: a document is read whole, and one this large is refused",
                        )
                    path.append(element.tag)
                    if len(path) > self.max_depth:
                        raise XmlRefused(
                            "xml.too_deep",
                            f"element <{etree.QName(element).localname}> at line "
                            f"{element.sourceline} is nested {len(path)} deep: more than "
                            f"{self.max_depth}",
                        )
                    continue
                _no_entity_in(element)
                ended = tuple(path)
                path.pop()
                if ended in self.paths:
                    ended_at, began = self.source.read_bytes, None
                    yield ended, element
                    parent = element.getparent()
                    element.clear()
                    if parent is not None:
                        parent.remove(element)
        except etree.XMLSyntaxError as error:
            raise _refusal(error) from None


class _Counted:
    """A file read by ``iterparse`` (which asks for chunks of some 32 kB), and how much of it
    was read."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.read_bytes += len(data)
        return data


def _no_entity_in(element: etree._Element) -> None:
    for child in element:
        if isinstance(child, etree._Entity):
            raise XmlRefused(
                "xml.entity",
                f"a reference to the entity {child.text} at line {child.sourceline}: "
                "entities are never read",
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
        raise _refusal(error) from None
    _no_entities_declared(root.getroottree())
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
        _no_entity_in(node)
