"""The model: ad text and red-flag findings in, one calibrated scam probability out.

Owns
    ``vectorize``   word and n-gram TF-IDF blocks (shared tokenization, plain arrays);
    ``features``    the red-flag indicator vector the decision reads;
    ``ensemble``    the two word experts, the era gate, the bounded decision, the bands and
                    the trafficking floor (:class:`~detector.model.ensemble.JobScamModel`);
    ``explain``     which words moved a score, as the decision weighs them;
    ``persistence`` the pickle-free model file (``model.npz`` + ``model.json``) and manifest;
    ``dataset``     loading and checking the labelled corpora the model is fitted on.

May import: :mod:`detector.schema`, :mod:`detector.paths`, :mod:`detector.i18n`,
:mod:`detector.text`/``normalize``/``extract`` and :mod:`detector.rules`. Never
:mod:`detector.core`, the batch, network or front-end packages: scoring an ad as a whole
(:class:`detector.Detector`) sits above this package; fitting and evaluating it sit in
:mod:`detector.training`.
"""
