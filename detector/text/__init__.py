"""The text layer: normalisation and the facts read from an ad's text.

* :mod:`detector.text.patterns` -- RE2 helpers over UTF-8 bytes (public ``re2`` API only),
  shared with the rules and the vectoriser;
* :mod:`detector.text.normalize` -- Unicode/homoglyph/leet folding with an offset map back to
  the original text;
* :mod:`detector.text.characters` -- the character tables normalisation folds with;
* :mod:`detector.text.extract` -- the door to the extractors: :mod:`~detector.text.contacts`
  (and the placeholder words the model reads in their place, ``contact_placeholders``),
  :mod:`~detector.text.money`, :mod:`~detector.text.places`, :mod:`~detector.text.language`,
  over the shared byte view of :mod:`~detector.text.textbytes`.

Owns: everything that reads raw ad text before the rules, and the data it reads (Unicode
confusables from ``confusable-homoglyphs``, numbering plans from ``phonenumbers``, country
names from ``pycountry``; all shipped in their wheels, nothing downloaded). May import only
layer 0 (:mod:`detector.schema`, :mod:`detector.i18n`, :mod:`detector.paths`) and libraries;
every later layer (rules, model, network, batch, front ends) reads contacts and spans from
here, so they all agree.
"""
