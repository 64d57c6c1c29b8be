"""The reader of a field map (:func:`.field_map.compiled`) made as one function of its own, its
fields' reads written out as lines of code (with ``exec``, as :mod:`dataclasses` makes
``__init__``), for the commonest maps: nested fields one level deep (``item.upc``), read from
the document (no constant among them), their objects' names no field's.

Each field is read as :meth:`.field_map.FieldSpec.reader` reads it, through the same paths'
readers and converters (:class:`Steps`), without a call of its own per field and per list item:
a file of a million rows reads its fields through one call per row, not five or six.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

FieldsReader = Callable[[Any], dict[str, Any]]


class Steps(NamedTuple):
    """How a field's value is read at a node, as :meth:`.field_map.FieldSpec.reader` reads it:
    ``how`` the paths' reader ``source`` is asked (``first``: the first non-empty value, or
    None; ``texts``: the non-empty values, as a list, or None; ``children``: one item per node
    it finds, each read by ``convert``, as a list, or None; ``value``: ``default`` whatever the
    node), ``default`` when it finds nothing, ``convert`` of each value found (codes, type)."""

    how: Literal["first", "texts", "children", "value"]
    source: Callable[[Any], Any] | None = None
    default: str | None = None
    convert: Callable[[Any], Any] | None = None
    inline: Callable[..., str | None] | None = None
    """What ``source`` gives as an expression, given the name ``source`` has in the reader
    (``first``: :meth:`InlinePaths.first_source`), and that of ``convert`` (``children``:
    :meth:`InlinePaths.items_source`)."""


@runtime_checkable
class InlinePaths(Protocol):
    """Paths (:class:`~.field_map.Paths`) that also write the commonest reads as code, read in
    the reader itself without a call: ``prologue``, lines setting the locals the expressions of
    ``first`` reads use (from ``node``), run once per node when there are such reads;
    :meth:`first_source`, the expression of the first non-empty value ``path`` finds (a text
    or None), given the name ``source`` of what :meth:`~.field_map.Paths.first` gave (for the
    cases it leaves to it), or None (not written as code); :meth:`items_source`, a list's."""

    @property
    def prologue(self) -> Sequence[str]: ...

    def first_source(self, path: str, source: str) -> str | None: ...

    def items_source(self, path: str, source: str, item: str) -> str | None:
        """The expression of the list of the items read (by ``item``) at the nodes ``path``
        finds (``source``, what :meth:`~.field_map.Paths.children` gave), or None."""
        ...


def generated_reader(
    constants: dict[str, Any],
    plain: Sequence[tuple[str, Steps]],
    nested: Sequence[tuple[str, str, Steps]],
    prologue: Sequence[str] = (),
) -> FieldsReader:
    """The reader of a map whose ``constants`` are set whatever the node, whose ``plain``
    fields are set when found, and whose ``nested`` ones (object, field) are each set in its
    object, made when one of its fields is found; ``prologue``, the lines the fields' inline
    reads need (:class:`InlinePaths`)."""
    namespace: dict[str, Any] = {"constants": constants}
    code = ["def read(node):", "    values = constants.copy()" if constants else "    values = {}"]
    reads = [*(steps for _, steps in plain), *(steps for _, _, steps in nested)]
    sources = [_inline(steps, index) for index, steps in enumerate(reads)]
    if any(steps.how == "first" and sources[i] is not None for i, steps in enumerate(reads)):
        code += [f"    {line}" for line in prologue]  # the locals of the first reads
    seen: set[str] = set()
    for index, (name, steps) in enumerate(plain):
        code += _value(steps, index, namespace, sources[index])
        code += ["    if value is not None:", f"        values[{name!r}] = value"]
    for index, (owner, name, steps) in enumerate(nested, start=len(plain)):
        code += _value(steps, index, namespace, sources[index])
        code.append("    if value is not None:")
        if owner not in seen:  # its first field: the object is not made yet
            seen.add(owner)
            code.append(f"        values[{owner!r}] = {{{name!r}: value}}")
            continue
        code += [
            f"        found = values.get({owner!r})",
            "        if found is None:",
            f"            values[{owner!r}] = {{{name!r}: value}}",
            "        else:",
            f"            found[{name!r}] = value",
        ]
    code.append("    return values")
    exec("\n".join(code), namespace)  # made above, of field names and steps
    reader: FieldsReader = namespace["read"]
    return reader


def _inline(steps: Steps, index: int) -> str | None:
    """The expression of a field's ``first`` read or list of items (:class:`InlinePaths`), if
    any."""
    if steps.inline is None:
        return None
    if steps.how == "children":
        return steps.inline(f"source_{index}", f"convert_{index}")
    return steps.inline(f"source_{index}") if steps.how == "first" else None


def _value(
    steps: Steps, index: int, namespace: dict[str, Any], inline: str | None = None
) -> list[str]:
    """The lines that set ``value`` to the field's value at ``node`` (None: absent); a
    ``first`` read written as ``inline``, if given."""
    source, convert, default = f"source_{index}", f"convert_{index}", f"default_{index}"
    namespace[source], namespace[convert], namespace[default] = (
        steps.source,
        steps.convert,
        steps.default,
    )
    if steps.how == "value":
        return [f"    value = {default}"]
    if steps.how == "children":
        items = f"[*map({convert}, {source}(node))]" if inline is None else inline
        return [f"    value = {items} or None"]
    if steps.how == "texts":
        each = "text" if steps.convert is None else f"{convert}(text)"
        return [f"    value = [{each} for text in {source}(node) if text] or None"]
    read = f"{source}(node)" if inline is None else inline
    if steps.convert is None:
        if steps.default is None:
            return [f"    value = {read}"]
        return [f"    value = {read} or {default}"]
    if steps.default is None:
        return [
            f"    value = {read}",
            "    if value is not None:",
            f"        value = {convert}(value)",
        ]
    return [f"    value = {convert}({read} or {default})"]
