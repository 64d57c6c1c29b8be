"""The spool: the folders files pass through, and how they are taken and written.

``inbox/<partner>/`` (files arrive: dropped by the partner, or brought by a channel), ``work/``
(claimed, the pipeline's: :mod:`.claims`, :mod:`.inbox`), ``archive/`` and ``quarantine/`` (where
they end), ``outbox/<partner>/`` (what the gateway writes for the partner: :mod:`.writing`) and
its ``sent/`` (what a channel delivered). Files are read as claimed (:mod:`.claimed_files`), never
through a link, and named safely (:mod:`.file_names`).

The steps every channel takes, recorded in the ledger: bringing a partner's file into its inbox
(:mod:`.pickups`), delivering its outbox (:mod:`.deliveries`), and both over a partner's side of
plain file operations (:mod:`.partner_files`: the folder and memory channels). They are imported
by module, not from here: they need the ledger and the ports, the rest of the spool does not.
"""

from ..errors import ClaimedFileChanged, RefusedFile
from .claimed_files import Snapshot, read_claimed, read_snapshot
from .claims import CLAIM_SEPARATOR, Claim, Claimed, fsync_directory
from .file_names import kept_name, unsafe_name
from .inbox import FolderSource
from .writing import SENT_FOLDER, Placed, folder_lock, make_folder, write_new

__all__ = [
    "CLAIM_SEPARATOR",
    "SENT_FOLDER",
    "Claim",
    "Claimed",
    "ClaimedFileChanged",
    "FolderSource",
    "Placed",
    "RefusedFile",
    "Snapshot",
    "folder_lock",
    "fsync_directory",
    "kept_name",
    "make_folder",
    "read_claimed",
    "read_snapshot",
    "unsafe_name",
    "write_new",
]
