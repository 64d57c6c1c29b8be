"""The registry: every format and channel the gateway can use, by kind, in one place.

Adding a format or a channel is a class (see ``docs/architecture.md``) and a line here. Partner
profiles name these kinds (``format = "x12"``, sections ``[x12]``, ``[sftp]``, ``[folder]``);
the composition root (:mod:`gateway.cli`) hands this registry to the core. The memory channel
(:mod:`.channels.memory`) is for tests only, and not here: a profile naming it in production
would exchange files with nobody.
"""

from gateway.registry import Registry

from .channels.folder import Folder
from .channels.sftp import Sftp
from .formats.delimited.format import CsvFormat
from .formats.fixed.format import FixedFormat
from .formats.x12.format import X12Format
from .formats.xml.format import XmlFormat

REGISTRY = Registry(
    formats={
        X12Format.kind: X12Format,
        XmlFormat.kind: XmlFormat,
        CsvFormat.kind: CsvFormat,
        FixedFormat.kind: FixedFormat,
    },
    channels={Sftp.kind: Sftp, Folder.kind: Folder},
    default_format=X12Format.kind,
)
