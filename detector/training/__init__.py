"""Building and judging the shipped model: ``jobscam train`` and ``jobscam evaluate``.

Owns
    ``train``     fit :class:`~detector.model.ensemble.JobScamModel` on ``../shared/data``
                  and write ``models/`` (model files and manifest);
    ``evaluate``  grouped cross-validation *through* :class:`detector.Detector` (the path
                  users get), baselines, leave-one-source-out, ablations, the model card.

May import everything below the front ends: :mod:`detector.core`, :mod:`detector.model`,
:mod:`detector.rules`, :mod:`detector.schema`. Nothing scores an ad through this package.
"""
