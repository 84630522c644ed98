"""The front ends: what people and programs talk to. Each is thin over :class:`detector.Detector`.

Owns
    ``cli``         the ``jobscam`` command (score, scan, networks, train, evaluate, serve, app);
    ``server``      the HTTP API (FastAPI) and how ``jobscam serve`` runs it;
    ``report``      the terminal report of one verdict and the advice it gives;
    ``highlight``   the escaped HTML that marks findings in an ad;
    ``page``        the Streamlit page's helpers (``app.py`` at the top of the repo is its script).

May import every other package of ``detector``; nothing below imports this one.
"""
