"""The operators' actions: replay, resend (same or new control numbers), reprocess, dismiss,
pause and resume a partner (``/actions/<action>``, an operator or an admin; a viewer is refused
with 403, a POST without its CSRF token too).

Every action asks first: ``GET /actions/<action>?target=...``, or a POST without
``confirm=yes`` (what a page's button sends), shows a confirmation page saying what will happen
to what, whose form posts the same with ``confirm=yes``. Then it is done through the very
function the command line calls (:mod:`gateway.operations`), recorded on the timeline with who
did it (``console:<name>``), and the browser goes back where it came from with a notice
(``?notice=...``; ``notice_kind=error`` when it could not be done). Pages show the forms with
the macros of ``templates/actions_macros.html``.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from gateway import ledger
from gateway.exit_codes import EXIT_VALID
from gateway.ledger.outbound import outbound_by_document_id, outbound_by_request_ids
from gateway.operations import ActionRefused, dismiss, pauses, reprocess, republish

from .auth import Operator, _local
from .web import User, render, state

log = logging.getLogger(__name__)
router = APIRouter(tags=["actions"])
REPROCESS_WAIT = 3.0
"""Seconds a reprocess waits for the daemon to take the copy (to say its file number)."""


@dataclasses.dataclass(frozen=True)
class Action:
    title: str
    explains: str
    verb: str
    needs_reason: bool = False
    danger: bool = False


ACTIONS = {
    "replay": Action(
        "Replay the document",
        "Its canonical message is published again to RabbitMQ under the same message id "
        "(consumers that saw it already can tell it is the same).",
        "replay",
    ),
    "resend": Action(
        "Resend the document",
        "Its file is written again to the partner's outbox and delivered again, with the same "
        "control numbers (what a partner asks for when it lost a file).",
        "resend",
    ),
    "resend_new": Action(
        "Resend the document with new control numbers",
        "The stored request is rendered again with fresh control numbers, as a new document "
        "(request id <id>#resend-<n>) whose record names the one it replaces, written to the "
        "partner's outbox and delivered.",
        "resend",
    ),
    "reprocess": Action(
        "Reprocess the file",
        "A copy of it is put back in its partner's inbox and read again by the daemon, as the "
        "partner's profile and mappings say now: fix the cause first. The file itself stays in "
        "quarantine; the two timelines point at each other.",
        "reprocess",
    ),
    "retry": Action(
        "Send the refused request again",
        "It is sent again to the daemon, which renders it, or refuses it for the reason of now: "
        "fix the cause first (the partner's profile).",
        "send it again",
    ),
    "release": Action(
        "Publish the withheld document",
        "What it names is checked again against its partner's reference data as it is now: "
        "once that knows every item and location, it is published (once); otherwise nothing "
        "changes and you are told what is still unknown. Update the reference data first.",
        "publish it",
    ),
    "dismiss": Action(
        "Dismiss",
        "It leaves the exceptions: nothing is deleted, nothing is sent; its timeline keeps the "
        "reason and who dismissed it.",
        "dismiss",
        needs_reason=True,
        danger=True,
    ),
    "pause": Action(
        "Pause the partner",
        "The daemon stops taking the partner's files (they wait in its inbox) and stops its "
        "channels (nothing collected from it, nothing delivered to it) within seconds, until "
        "it is resumed, across restarts.",
        "pause",
        danger=True,
    ),
    "resume": Action(
        "Resume the partner",
        "The daemon takes the partner's files and runs its channels again, the waiting ones first.",
        "resume",
    ),
}


SHOWN_ONLY = ("resend_new", "retry", "release")
"""Confirmations of a variant of an action (resend, reprocess), not actions of their own."""


def _action(name: str) -> Action:
    if name not in ACTIONS or name in SHOWN_ONLY:
        raise HTTPException(404, f"no action {name}")
    return ACTIONS[name]


def _what(request: Request, name: str, target: str) -> list[tuple[str, str]]:
    """What ``target`` is, for the confirmation page (empty: nothing by that id)."""
    if name in ("pause", "resume"):
        return [("Partner", target)]
    with state(request).sessions() as s:
        if target.isdigit() and name in ("reprocess", "dismiss"):
            row = ledger.file_by_id(s, int(target))
            if row is None:
                return []
            why = str(((row.detail or {}).get("report") or {}).get("why", ""))
            return [
                ("File", f"{row.id}: {row.name}"),
                ("Partner", row.partner),
                ("State", row.state.value),
                ("Why", why),
            ]
        outbound = outbound_by_document_id(s, target) or list(
            outbound_by_request_ids(s, [target]).values()
        )
        if outbound:
            o = outbound[-1]
            return [
                ("Outbound document", f"{o.kind} {o.document_id or ''}"),
                ("Request", o.request_id),
                ("Partner", o.partner),
                ("State", o.state.value),
                ("Interchange", o.interchange_ref or "-"),
            ]
        documents = ledger.documents_by_id(s, target)
        if documents:
            d = documents[-1]
            return [
                ("Document", f"{d.kind} {d.document_id}"),
                ("Partner", d.partner),
                ("State", d.state.value),
                ("Key", d.business_key or "-"),
            ]
    return []


def _variant(name: str, target: str, new_control_numbers: bool) -> str:
    if name == "reprocess" and not target.isdigit():
        return "retry"
    if name == "resend" and new_control_numbers:
        return "resend_new"
    return name


def _back(back: str | None, **notice: str) -> str:
    """The local page to go back to, with the notice (any earlier notice replaced)."""
    target = _local(back or "/exceptions")
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("notice", "notice_kind")]
    query += list(notice.items())
    return f"{parts.path}?{urlencode(query)}"


def _confirm(
    request: Request,
    name: str,
    target: str,
    reason: str,
    new_control_numbers: bool,
    back: str | None,
) -> Response:
    what = _what(request, name, target)
    variant = _variant(name, target, new_control_numbers)
    if variant == "retry" and reprocess.is_withheld(state(request).sessions, target):
        variant = "release"
    return render(
        request,
        "confirm.html",
        200 if what else 404,
        name=name,
        action=ACTIONS[variant],
        target=target,
        what=what,
        reason=reason,
        new_control_numbers=new_control_numbers,
        back=_local(back or "/exceptions"),
    )


@router.get("/actions/{name}", include_in_schema=False)
def confirm_page(
    request: Request,
    name: str,
    user: Operator,
    target: str = "",
    reason: str = "",
    new_control_numbers: bool = False,
    back: str | None = None,
) -> Response:
    _action(name)
    return _confirm(request, name, target.strip(), reason, new_control_numbers, back)


@router.post("/actions/{name}", include_in_schema=False)
def act(
    request: Request,
    name: str,
    user: Operator,
    target: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    new_control_numbers: Annotated[str, Form()] = "",
    back: Annotated[str | None, Form()] = None,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    _action(name)
    target, fresh = target.strip(), new_control_numbers in ("1", "yes", "on", "true")
    if confirm != "yes" or (ACTIONS[name].needs_reason and not reason.strip()):
        return _confirm(request, name, target, reason, fresh, back)
    try:
        said, ok = perform(request, user, name, target, reason=reason, new_control_numbers=fresh)
    except ActionRefused as refused:
        said, ok = str(refused), False
    log.info("console: %s %s %s: %s", user.name, name, target, said)
    kind = {} if ok else {"notice_kind": "error"}
    return RedirectResponse(_back(back, notice=said, **kind), status_code=303)


def perform(
    request: Request,
    user: User,
    name: str,
    target: str,
    *,
    reason: str = "",
    new_control_numbers: bool = False,
) -> tuple[str, bool]:
    """Do action ``name`` on ``target`` through the command line's functions, as ``user``;
    what was done (or why not), and whether it was done."""
    console = state(request)
    factory, settings, by = console.sessions, console.settings, user.actor
    out = io.StringIO()
    if name == "replay":
        code = republish.replay(factory, settings, target, by=by, out=out)
        return _said(out, code, f"nothing published of {target} to replay")
    if name == "resend":
        done = republish.resend(
            factory,
            settings,
            console.registry,
            target,
            new_control_numbers=new_control_numbers,
            by=by,
        )
        return done, True
    if name == "reprocess" and target.isdigit():
        copied = reprocess.reprocess_file(
            factory, settings, int(target), by=by, wait=REPROCESS_WAIT
        )
        return copied.sentence(), True
    if name == "reprocess" and reprocess.is_withheld(factory, target):
        return reprocess.release_document(factory, settings, target, by=by), True
    if name == "reprocess":
        code = reprocess.retry_request(factory, settings, target, by=by, out=out)
        return _said(out, code, f"request {target} could not be sent again")
    if name == "dismiss" and target.isdigit():
        return dismiss.dismiss_file(factory, int(target), reason, by=by), True
    if name == "dismiss" and reprocess.is_withheld(factory, target):
        return dismiss.dismiss_document(factory, target, reason, by=by), True
    if name == "dismiss":
        return dismiss.dismiss_request(factory, target, reason, by=by), True
    if name == "pause":
        return pauses.pause(factory, settings, target, by=by, reason=reason).sentence(), True
    pauses.resume(factory, settings, target, by=by)
    return f"partner {target} resumed", True


def _said(out: io.StringIO, code: int, failed: str) -> tuple[str, bool]:
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    if code == EXIT_VALID:
        return (lines[-1] if lines else "done"), True
    return failed + (f" ({lines[-1]})" if lines else ""), False
