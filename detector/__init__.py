"""jobscam: detect job-offer scams and trafficking-recruitment patterns in job ads.

>>> from detector import Detector
>>> det = Detector.load()
>>> det.score("Customer service in Cambodia, USD 1,200/month, free flight, WhatsApp only").risk
'high'
"""

from .core import Detector
from .model.persistence import ModelError, jobscam_version
from .schema import (
    Ad,
    AdError,
    Amount,
    Contact,
    Destination,
    Finding,
    TermContribution,
    Verdict,
)

__version__ = jobscam_version()

__all__ = [
    "Detector",
    "Verdict",
    "Finding",
    "TermContribution",
    "Contact",
    "Amount",
    "Destination",
    "Ad",
    "AdError",
    "ModelError",
    "__version__",
]
