"""The page's login: one admin password (argon2 hash in KV), session cookies, a guard in
front of ``/api/*``, rate-limited logins. On unless the page is published on loopback only
(``ApiSettings.auth_required``)."""
