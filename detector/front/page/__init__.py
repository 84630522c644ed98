"""The web page's helpers: everything ``app.py`` (the Streamlit script) needs except the
Streamlit calls that lay the page out.

Owns :mod:`.words` (the page's text from the language catalogues, and escaping for
Markdown), :mod:`.data` (the only door to the batch scanner and the network clustering: the
few functions to re-point when their packages move), :mod:`.tables` (result tables and the
histogram with headers and values in the reader's language), :mod:`.graph` (a cluster's
graph as DOT), :mod:`.card` (the model card cut at its images), :mod:`.examples` (the
example ads).

May import: ``detector.i18n``, ``detector.schema``, ``detector.front.highlight`` and
``detector.front.report``, and the batch/network packages through :mod:`.data` only.
Nothing here imports Streamlit, so every helper is tested without a browser.
"""
