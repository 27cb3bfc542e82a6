"""What every request and response gets: the real client behind trusted proxies, and the security headers.

The rules are explained in docs/production.md ("Behind a proxy", "Security headers").
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

# On every response. The panel is never framed (its buttons change data: no clickjacking), content types
# are never sniffed, links to other sites carry no panel URL, and forms post only to the panel.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

NONCE_KEY = "mhc.csp_nonce"  # kept in the WSGI environ: one per request, even when requests share an app context

# Scripts run only from the panel's own files or from an inline <script> carrying this response's nonce:
# no inline event handlers (onclick=...), no javascript: URLs, no eval, no script from another site.
CSP_TEMPLATE = (
    "script-src 'self' 'nonce-{nonce}'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_web_security(app: Flask) -> None:
    """Trust X-Forwarded-* from the configured number of proxies; add the security headers to every response."""
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.context_processor(lambda: {"csp_nonce": csp_nonce})
    app.after_request(_security_headers)


def csp_nonce() -> str:
    """This request's script nonce (one fresh random value per request, the same for every template)."""
    if NONCE_KEY not in request.environ:
        request.environ[NONCE_KEY] = secrets.token_urlsafe(18)
    return request.environ[NONCE_KEY]


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", CSP_TEMPLATE.format(nonce=csp_nonce()))
    if current_app.config.get("MHC_ENV") == "production":
        max_age = current_app.config["HSTS_MAX_AGE"]
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains")
    return response
