"""The sandbox networks: X, Facebook, YouTube (with Google OAuth) and Flickr imitated on
loopback, so that the real SDKs can run against them (docs/sandbox.md).

server.py     the HTTP server and dispatch (stdlib only; no Django)
state.py      what was received, tokens, uploads, statistics; faults.py the fault rules
twitter.py facebook.py youtube.py google_oauth.py flickr.py   one module per network
control.py    the /_sandbox/ control API; feeds.py, consent.py, pages.py the HTML pages
"""
