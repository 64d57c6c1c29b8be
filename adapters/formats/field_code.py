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
from typing import Any, Literal, NamedTuple

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


def generated_reader(
    constants: dict[str, Any],
    plain: Sequence[tuple[str, Steps]],
    nested: Sequence[tuple[str, str, Steps]],
) -> FieldsReader:
    """The reader of a map whose ``constants`` are set whatever the node, whose ``plain``
    fields are set when found, and whose ``nested`` ones (object, field) are each set in its
    object, made when one of its fields is found."""
    namespace: dict[str, Any] = {"constants": constants}
    code = ["def read(node):", "    values = constants.copy()" if constants else "    values = {}"]
    seen: set[str] = set()
    for index, (name, steps) in enumerate(plain):
        code += _value(steps, index, namespace)
        code += ["    if value is not None:", f"        values[{name!r}] = value"]
    for index, (owner, name, steps) in enumerate(nested, start=len(plain)):
        code += _value(steps, index, namespace)
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


def _value(steps: Steps, index: int, namespace: dict[str, Any]) -> list[str]:
    """The lines that set ``value`` to the field's value at ``node`` (None: absent)."""
    source, convert, default = f"source_{index}", f"convert_{index}", f"default_{index}"
    namespace[source], namespace[convert], namespace[default] = (
        steps.source,
        steps.convert,
        steps.default,
    )
    if steps.how == "value":
        return [f"    value = {default}"]
    if steps.how == "children":
        return [f"    value = [*map({convert}, {source}(node))] or None"]
    if steps.how == "texts":
        each = "text" if steps.convert is None else f"{convert}(text)"
        return [f"    value = [{each} for text in {source}(node) if text] or None"]
    if steps.convert is None:
        if steps.default is None:
            return [f"    value = {source}(node)"]
        return [f"    value = {source}(node) or {default}"]
    if steps.default is None:
        return [
            f"    value = {source}(node)",
            "    if value is not None:",
            f"        value = {convert}(value)",
        ]
    return [f"    value = {convert}({source}(node) or {default})"]
