"""``edi-gateway check-config``: every piece of configuration the daemon reads, checked the way
the daemon reads it, each error named by file, line and key (or variable), with the valid
choices or the name meant: the settings (``gateway.toml`` and the ``EDIGW_*`` variables,
:func:`gateway.config.load_settings`) and every partner profile with the mappings it names
(:func:`gateway.partners.load_partner`). All are checked, not only up to the first bad one."""

from __future__ import annotations

from typing import TextIO

from .config import config_file, load_settings
from .errors import ConfigError
from .partners import PARTNERS_DIR, load_partner
from .registry import Registry

EXIT_CONFIG = 78
"""EX_CONFIG (sysexits.h): the configuration is bad; systemd does not restart on it."""


def check_config(registry: Registry, out: TextIO, errors: TextIO) -> int:
    """Check it all; ``ok`` lines to ``out``, each error to ``errors``; 0, or
    :data:`EXIT_CONFIG` when anything is wrong."""
    try:
        settings = load_settings()
    except ConfigError as error:
        errors.write(f"{error}\n")
        return EXIT_CONFIG
    file = config_file()
    where = f"{file.resolve()}" if file.is_file() else "no gateway.toml: the defaults"
    out.write(f"ok   settings ({where}; home {settings.home.resolve()})\n")
    folder = settings.path(PARTNERS_DIR)
    bad = 0
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            profile = load_partner(path, registry)
        except ConfigError as error:
            errors.write(f"{error}\n")
            bad += 1
            continue
        out.write(f"ok   {path} ({profile.format})\n")
    if not folder.is_dir():
        out.write(f"ok   no partner profiles ({folder} does not exist)\n")
    return EXIT_CONFIG if bad else 0
