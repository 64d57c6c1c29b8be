"""Writing XML through a mapping (:mod:`.mapping`): the mirror of reading it.

A document is built in this order, which is the order of its elements: the root (the first step
of ``documents``, an absolute path such as ``/cXML/Request/ShipNoticeRequest``), the envelope's
facts at their ``[envelope]`` paths (sender: our id; receiver: the partner's; the reference
drawn when the document is numbered), the mapping's ``[render]`` section (more paths of
envelope facts, the time it is numbered at, constants such as cXML's ``version``), the
document's element, then the fields, in the mapping's order. The text is UTF-8 with an XML
declaration and the ``[render]`` DOCTYPE.

Paths are a writable part of XPath (:func:`writable_path`): element names with their namespace
prefixes, predicates ``[@name='value']`` (an element made for such a step carries that
attribute), a last step ``@attribute``, ``.`` for the node's own text; relative to the
document's element, or absolute from the root. An element a single value is written to is found
or made; the items of a list and the values of ``many`` are new elements. XPath functions,
``//``, ``..``, unions and positions are not writable: a mapping that uses them is refused when
it is loaded for rendering, naming the field, unless ``[render] derived`` names the field as one
whose value follows from what the others write (reading the document back still checks it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from gateway.errors import ConfigError

from ..field_writing import FACTS, unwritable, write_envelope
from ..mappings import mapping_path, until_changed
from .mapping import MAPPINGS_DIR, XmlMapping, load_mapping

XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
_NAME = r"[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?"
_QUOTED = r"(?:'[^']*'|\"[^\"]*\")"
_STEP = re.compile(
    rf"(?P<at>@)?(?P<name>{_NAME}|\.(?![.\w]))(?P<predicates>(?:\[\s*@{_NAME}\s*=\s*{_QUOTED}\s*\])*)"
)
_PREDICATES = re.compile(
    rf"\[\s*@(?P<attribute>{_NAME})\s*=\s*(?:'(?P<single>[^']*)'|\"(?P<double>[^\"]*)\")\s*\]"
)
WRITABLE = (
    "paths written are element names, [@name='value'] predicates and a last @attribute "
    "(no functions, '//', '..', unions or positions)"
)


@dataclass(frozen=True, slots=True)
class Step:
    tag: str
    """The element's name in Clark notation (``{uri}local``)."""
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class WritablePath:
    absolute: bool
    steps: tuple[Step, ...]
    attribute: str | None = None


def writable_path(path: str, namespaces: Mapping[str, str]) -> WritablePath:
    """``path`` as steps to write along; :class:`ValueError` saying why it cannot be written."""
    text = path.strip()
    absolute = text.startswith("/")
    position = 1 if absolute else 0
    steps: list[Step] = []
    attribute: str | None = None
    while True:
        found = _STEP.match(text, position)
        at_end = found is not None and found.end() == len(text)
        if (
            found is None
            or (found["at"] and (found["predicates"] or found["name"] == "." or not at_end))
            or not (at_end or text[found.end()] == "/")
            or text[found.end() + 1 : found.end() + 2] == "/"
        ):
            raise ValueError(f"not writable at {text[position : position + 30]!r}")
        name = found["name"]
        if found["at"]:
            attribute = _qualified(name, namespaces)
        elif name != ".":
            attributes = tuple(
                (
                    _qualified(p["attribute"], namespaces),
                    p["single"] if p["single"] is not None else p["double"],
                )
                for p in _PREDICATES.finditer(found["predicates"])
            )
            steps.append(Step(_qualified(name, namespaces), attributes))
        if at_end:
            break
        position = found.end() + 1
    if absolute and not steps:
        raise ValueError("an absolute path starts with the root element")
    return WritablePath(absolute, tuple(steps), attribute)


def _qualified(name: str, namespaces: Mapping[str, str]) -> str:
    prefix, _, local = name.rpartition(":")
    if not prefix:
        return name
    uri = XML_NAMESPACE if prefix == "xml" else namespaces.get(prefix)
    if uri is None:
        raise ValueError(f"the prefix {prefix!r} is not among the mapping's namespaces")
    return f"{{{uri}}}{local}"


@dataclass(frozen=True)
class XmlTarget:
    """An element fields are written to (:class:`~adapters.formats.field_writing.Target`)."""

    element: etree._Element
    path_of: Callable[[str], WritablePath]

    def put(
        self, path: str, texts: Sequence[str], *, many: bool = False, number: bool = False
    ) -> None:
        where = self.path_of(path)
        node, steps = self._start(where)
        if where.attribute is not None or not steps:
            if len(texts) != 1:
                raise ValueError(f"{len(texts)} values where one is written")
            for step in steps:
                node = _child(node, step)
            if where.attribute is not None:
                node.set(where.attribute, texts[0])
            else:
                node.text = texts[0]
            return
        for step in steps[:-1]:
            node = _child(node, step)
        if many:
            for text in texts:
                _new(node, steps[-1]).text = text
        else:
            _child(node, steps[-1]).text = texts[0]

    def add(self, path: str) -> XmlTarget:
        node, steps = self._start(self.path_of(path))
        if not steps:
            return XmlTarget(node, self.path_of)
        for step in steps[:-1]:
            node = _child(node, step)
        return XmlTarget(_new(node, steps[-1]), self.path_of)

    def _start(self, where: WritablePath) -> tuple[etree._Element, tuple[Step, ...]]:
        if where.absolute:
            return self.element.getroottree().getroot(), where.steps[1:]
        return self.element, where.steps


def _child(parent: etree._Element, step: Step) -> etree._Element:
    """The first child ``step`` names (its predicates' attributes too), made when none is."""
    for child in parent.iterchildren(step.tag):
        if all(child.get(name) == value for name, value in step.attributes):
            return child
    return _new(parent, step)


def _new(parent: etree._Element, step: Step) -> etree._Element:
    return etree.SubElement(parent, step.tag, dict(step.attributes))


@dataclass(frozen=True)
class XmlWriting:
    """A mapping loaded for rendering: its paths compiled for writing."""

    name: str
    mapping: XmlMapping
    paths: Mapping[str, WritablePath]

    def path(self, path: str) -> WritablePath:
        return self.paths[path]

    def new_document(self) -> tuple[etree._Element, XmlTarget]:
        """The root element, and a target at it."""
        root_step = self.paths[self.mapping.documents].steps[0]
        namespaces = dict(self.mapping.namespaces) or None
        root = etree.Element(root_step.tag, dict(root_step.attributes), nsmap=namespaces)
        return root, XmlTarget(root, self.path)

    def write_head(
        self, top: XmlTarget, facts: Mapping[str, str | None], at: dt.datetime
    ) -> XmlTarget:
        """The envelope's facts, the ``[render]`` section's paths and the document's element
        (returned), in that order."""
        write_envelope(top, self.mapping.envelope, facts)
        render = self.mapping.render
        if render is not None:
            for path, fact in render.envelope.items():
                value = facts.get(fact)
                if value is not None:
                    top.put(path, [value])
            if render.timestamp is not None:
                top.put(render.timestamp, [timestamp(at)])
            for path, text in render.constants.items():
                top.put(path, [text])
        return top.add(self.mapping.documents)

    @property
    def derived(self) -> list[str]:
        """The fields not written (:attr:`~.mapping.XmlRender.derived`)."""
        return self.mapping.render.derived if self.mapping.render is not None else []

    def renumber(self, top: XmlTarget, reference: str, at: dt.datetime) -> None:
        """The document's reference and time, written over the draft's."""
        render = self.mapping.render
        paths = [self.mapping.envelope.interchange_reference]
        if render is not None:
            paths += [path for path, fact in render.envelope.items() if fact == FACTS[0]]
        for path in paths:
            if path is not None:
                top.put(path, [reference])
        if render is not None and render.timestamp is not None:
            top.put(render.timestamp, [timestamp(at)])

    def serialize(self, root: etree._Element) -> str:
        render = self.mapping.render
        options: dict[str, Any] = {"xml_declaration": True, "encoding": "UTF-8"}
        if render is not None and render.doctype is not None:
            options["doctype"] = render.doctype
        text = etree.tostring(root, pretty_print=True, **options)
        return text.decode("utf-8") if isinstance(text, bytes) else text


def timestamp(at: dt.datetime) -> str:
    """A document's time as cXML writes it: ``2026-12-05T12:00:00+00:00``."""
    return at.astimezone(dt.UTC).isoformat(timespec="seconds")


@until_changed(MAPPINGS_DIR)
def render_mapping(name: str, directory: Path) -> XmlWriting:
    """The mapping ``name`` loaded for rendering; :class:`ConfigError` naming its file and each
    field that cannot be written."""
    mapping = load_mapping(name, directory)
    where = str(mapping_path(name, directory))
    paths: dict[str, WritablePath] = {}
    root: list[str] = []

    def problem_of(path: str) -> str | None:
        try:
            compiled = writable_path(path, mapping.namespaces)
        except ValueError as error:
            return str(error)
        if compiled.absolute and root and compiled.steps[0].tag != root[0]:
            return f"an absolute path starts at the root, <{root[0]}>"
        paths[path] = compiled
        return None

    why = problem_of(mapping.documents)
    if why is not None or not paths[mapping.documents].absolute:
        raise ConfigError(
            f"{where}: documents ({mapping.documents}): cannot be written (rendering): "
            f"{why or 'it is written from the root: an absolute path'}"
        )
    root.append(paths[mapping.documents].steps[0].tag)
    try:
        unwritable(mapping, problem_of, where, mapping.render.derived if mapping.render else ())
    except ConfigError as error:
        raise ConfigError(f"{error} ({WRITABLE})") from None
    render = mapping.render
    if render is not None:
        extra = [*render.envelope, *render.constants, *filter(None, [render.timestamp])]
        problems = [f"render ({path}): {why}" for path in extra if (why := problem_of(path))]
        if problems:
            shown = "; ".join(problems)
            raise ConfigError(f"{where}: cannot be written (rendering): {shown} ({WRITABLE})")
    return XmlWriting(name, mapping, paths)
