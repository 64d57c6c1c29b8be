"""The exit codes of every ``edi-gateway`` command (:mod:`gateway.cli` lists what each means)."""

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 3
EXIT_BUSY = 4
EXIT_TEMPFAIL = 75
"""EX_TEMPFAIL (sysexits.h): work was left undone (``run --once``, ``replay``, ``retry``), to be
done later."""
EXIT_CONFIG = 78
"""EX_CONFIG (sysexits.h): the configuration is bad; systemd does not restart on it."""
