"""The text layer: normalisation and the facts read from an ad's text.

* :mod:`detector.text.patterns` -- RE2 helpers over UTF-8 bytes (public ``re2`` API only),
  shared with the rules and the vectoriser;
* :mod:`detector.text.normalize` -- Unicode/homoglyph/leet folding with an offset map back to
  the original text;
* :mod:`detector.text.extract` -- contacts, money amounts, destinations, language.

Owns: everything that reads raw ad text before the rules. May import only
:mod:`detector.schema` (layer 0) and libraries; every later layer (rules, model, network,
batch, front ends) reads contacts and spans from here, so they all agree.
"""
