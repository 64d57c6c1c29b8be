"""The SFTP channel (:class:`Sftp`); the modules by concern: :mod:`.config` (the ``[sftp]``
section), :mod:`.connect` (socket, host key, login), :mod:`.pipeline` (pipelined SFTP requests),
:mod:`.source` (fetching into the inbox), :mod:`.sink` (delivering the outbox), :mod:`.check`
(``partner check``), :mod:`.channel` (the channel the core schedules)."""

from .channel import *  # noqa: F403
from .channel import __all__ as __all__
