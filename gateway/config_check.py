"""Checks of the configuration an administrator gives the gateway.

``edi-gateway check-config``: every piece of configuration the daemon reads, checked the way
the daemon reads it, each error named by file, line and key (or variable), with the valid
choices or the name meant: the settings (``gateway.toml`` and the ``EDIGW_*`` variables,
:func:`gateway.config.load_settings`) and every partner profile with the mappings it names
(:func:`gateway.partners.load_partner`), and the reference lists in ``mappings/reference/``
(:mod:`gateway.references.lists`). All are checked, not only up to the first bad one.
And :func:`existing_ledger`: the commands that read the ledger never make an empty one in the
wrong folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .config import CONFIG_ENV, Settings, config_file, load_settings
from .errors import ConfigError
from .exit_codes import EXIT_CONFIG
from .partners import PARTNERS_DIR, load_partners_apart, partner_file
from .references.lists import REFERENCE_DIR, ReferenceFiles
from .registry import Registry

if TYPE_CHECKING:
    from sqlalchemy import Engine


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
    if not folder.is_dir():
        out.write(f"ok   no partner profiles ({folder} does not exist)\n")
    profiles, bad = load_partners_apart(folder, registry)  # every one checked, as run does
    for name, profile in profiles.items():
        out.write(f"ok   {partner_file(folder, name)} ({profile.format})\n")
    errors.writelines(f"{why}\n" for why in bad.values())
    references = ReferenceFiles(settings.path(REFERENCE_DIR)).check()  # mappings/reference/
    errors.writelines(f"{why}\n" for why in references)
    return EXIT_CONFIG if bad or references else 0


def existing_ledger(settings: Settings) -> Engine:
    """An engine on the ledger the settings name, which a daemon has made;
    :class:`ConfigError` when there is none there (a command run outside the gateway's home
    would otherwise make an empty ledger and report nothing)."""
    from sqlalchemy import make_url

    from .ledger import create_engine_for
    from .ledger.database import current_revisions

    url = settings.resolved_database_url
    parsed = make_url(url)
    hint = f"run it where the gateway's gateway.toml is, or set {CONFIG_ENV}"
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        path = Path(parsed.database)
        if not path.is_file():
            raise ConfigError(
                f"no ledger at {path}: {settings.home.resolve()} is not the gateway's home ({hint})"
            )
    engine = create_engine_for(url)
    with engine.connect() as connection:
        empty = not current_revisions(connection)
        connection.rollback()
    if empty:
        engine.dispose()
        shown = parsed.render_as_string(hide_password=True)
        raise ConfigError(f"the ledger at {shown} is empty: no daemon has run on it ({hint})")
    return engine
