"""The web console (``edi-gateway console``): find any document, see why, act on it.

A process of its own, beside the daemon: it reads the ledger through the core's read-side
queries (:mod:`gateway.ledger`) and acts through the very functions the command line calls
(replay, resend, reprocess, dismiss, pause). Pages are rendered on the server (FastAPI and
Jinja2 templates, every value escaped), charts are drawn by a vendored copy of uPlot (no CDN:
the console runs where there is no internet), and the same searches are a JSON API under
``/api`` described by ``/api/openapi.json``.

- :mod:`.app` puts it together: middleware (sessions in signed cookies, CSRF tokens, security
  headers), the routers, the error pages; :func:`.app.serve` runs it.
- :mod:`.auth` is who may do what: users and roles from ``[console]`` in gateway.toml with
  argon2 password hashes, or a trusted reverse proxy's header; login and logout.
- :mod:`.web` holds what every page shares: the ledger session, rendering, the user.
- One module per part of the console (documents, exceptions, acknowledgements, partners,
  dashboards, actions), each an :class:`fastapi.APIRouter` with its pages and its API.
"""
