"""A partner's settings for the documents the gateway writes through a mapping (XML, CSV, fixed
width): which mapping writes each kind and the ids of both sides (:class:`RenderingConfig`, in
the format's section of the profile), and the mapping a document is written with
(:func:`writing_for`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Protocol, TypeVar

from pydantic import Field, ValidationInfo, field_validator, model_validator

from gateway.errors import ConfigError
from gateway.messages import Message
from gateway.ports import DocumentRefused, FormatConfig

from .mappings import MappedMessage, resolve_mapping


class RenderingConfig(FormatConfig):
    """What a declarative format's section says about the documents the gateway writes for the
    partner: the mapping of each kind and the ids of both sides."""

    render: dict[str, str] = Field(
        default_factory=dict,
        description='the mapping each kind of document is written with: {"856" = "<mapping>"}; '
        "a kind without one is refused",
    )
    sender_id: str | None = Field(
        default=None, min_length=1, description="our id, as the partner knows us (the sender)"
    )
    sender_qualifier: str | None = Field(
        default=None, min_length=1, description="what kind of id ours is (cXML: its domain)"
    )
    receiver_id: str | None = Field(
        default=None, min_length=1, description="the partner's id (the receiver)"
    )
    receiver_qualifier: str | None = Field(
        default=None, min_length=1, description="what kind of id the partner's is"
    )

    mapping_folder: ClassVar[str] = ""
    """Where the format's mappings are: ``mappings/<folder>/`` of the home, else those shipped."""

    @field_validator("render")
    @classmethod
    def _render_found(cls, render: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        return {
            kind: resolve_mapping(name, cls.mapping_folder, info) for kind, name in render.items()
        }

    @model_validator(mode="after")
    def _ids_to_render_with(self) -> RenderingConfig:
        if self.render and (self.sender_id is None or self.receiver_id is None):
            raise ValueError("render needs sender_id (ours) and receiver_id (the partner's)")
        return self

    @model_validator(mode="after")
    def _render_mappings_write(self) -> RenderingConfig:
        for kind, name in self.render.items():
            try:
                writing = self.load_for_rendering(name)
            except ConfigError as error:
                raise ValueError(f'render "{kind}": {error}') from None
            if writing.mapping.kind != kind:
                raise ValueError(
                    f'render "{kind}": the mapping {name} writes {writing.mapping.kind} documents'
                )
        return self

    def load_for_rendering(self, name: str) -> Loaded:
        """The mapping ``name`` loaded for rendering, by the format (:class:`ConfigError` when
        it cannot be written)."""
        raise NotImplementedError

    def mapping_for(self, kind: str, section: str) -> str:
        """The name of the mapping ``kind`` is written with; :class:`DocumentRefused` naming
        the profile's key when there is none."""
        try:
            return self.render[kind]
        except KeyError:
            known = ", ".join(sorted(self.render)) or "none"
            raise DocumentRefused(
                f"no mapping writes {kind} documents for the partner: [{section}] render has "
                f'no "{kind}" (it has: {known})'
            ) from None

    def facts(self, reference: str) -> dict[str, str | None]:
        """The envelope's facts of a document we send under ``reference``."""
        return {
            "interchange_reference": reference,
            "sender": self.sender_id,
            "sender_qualifier": self.sender_qualifier,
            "receiver": self.receiver_id,
            "receiver_qualifier": self.receiver_qualifier,
        }


class Loaded(Protocol):
    """A mapping loaded for rendering (a format's own kind of it)."""

    @property
    def mapping(self) -> MappedMessage: ...


LoadedT = TypeVar("LoadedT", bound=Loaded)


def writing_for(
    config: RenderingConfig,
    kind: str,
    section: str,
    load: Callable[[str], LoadedT],
    message: Message | None = None,
) -> LoadedT:
    """The mapping the partner's ``kind`` documents are written with, loaded by ``load``;
    :class:`DocumentRefused` when it has none, or one for another message than ``message``."""
    name = config.mapping_for(kind, section)
    try:
        writing = load(name)
    except ConfigError as error:  # changed since the profile was loaded
        raise DocumentRefused(str(error)) from None
    if message is not None and type(message).__name__ != writing.mapping.message:
        raise DocumentRefused(
            f"the mapping {name} writes {writing.mapping.message}, not {type(message).__name__}"
        )
    return writing
