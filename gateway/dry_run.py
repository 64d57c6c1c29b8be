"""``edi-gateway dry-run FILE --partner P``: what the daemon would do with a file the partner
drops, changing nothing: the format it is read with, each document's id, business key and
verdict, whether the ledger has it already (a duplicate is recorded, not published again), the
routing key it would be published under, the replies the partner would get back (numbered when
they are really written), or why the file would be quarantined."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from .config import Settings
from .config_check import existing_ledger
from .control_numbers import InMemoryCounter
from .errors import ConfigError
from .partner_formats import PartnerFormats
from .partners import PARTNERS_DIR, load_partners
from .registry import Registry


def dry_run(registry: Registry, settings: Settings, path: Path, partner: str, out: TextIO) -> int:
    """Say it on ``out``; 0 when the file would be taken whole, 1 when it (or a document of
    it) would be refused."""
    from . import ledger as repository
    from .bus.topology import routing_key
    from .ledger import session_factory

    folder = settings.path(PARTNERS_DIR)
    profiles = load_partners(folder, registry)
    profile = profiles.get(partner)
    if profile is None:
        raise ConfigError(f"no profile {folder / f'{partner}.toml'}")
    formats = PartnerFormats.of(registry, profiles)
    result = formats.parse(path.read_bytes(), file_name=path.name, partner=partner)
    out.write(f"{path.name}: read as {result.format}, {len(result.documents)} document(s)\n")
    try:
        engine = existing_ledger(settings)
    except ConfigError as error:
        out.write(f"  (duplicates not looked for: {error})\n")
        known = {}
    else:
        with session_factory(engine).begin() as s:
            known = {
                d.document_id: repository.documents_by_id(s, d.document_id)
                for d in result.documents
            }
        engine.dispose()
    policy = profile.inbound_policy
    for doc in result.documents:
        business = f" ({doc.business_key})" if doc.business_key else ""
        facts = f"{doc.kind} {doc.document_id}{business}"
        if not doc.accepted:
            out.write(f"  {facts}: refused: {'; '.join(doc.errors) or 'no message'}\n")
        elif known.get(doc.document_id):
            first = known[doc.document_id][0]
            out.write(
                f"  {facts}: a duplicate of one recorded before (now {first.state}): "
                "recorded, not published again\n"
            )
        else:
            key = routing_key(doc.kind, partner, test=doc.test and policy.test_apart)
            out.write(f"  {facts}: would be published as {key}\n")
    formats.reply(result, InMemoryCounter())
    for reply in result.replies:
        out.write(f"  would write {reply.name} to outbox/{partner}/ (numbered when written)\n")
    if result.has_errors:
        why = result.why or "; ".join(str(f.get("message")) for f in result.findings[:3])
        out.write(f"  the file would be quarantined with its report: {why}\n")
        return 1
    return 0
