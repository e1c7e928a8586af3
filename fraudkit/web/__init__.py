"""The warning team's work queue in a browser: FastAPI, server-rendered HTML, one small CSS file.

Everything is served from this package (no CDN, no JS framework); every page needs a login, and
every number on a page is masked except the one an operator reveals for the alert they hold.
"""
