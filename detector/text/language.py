"""The ad's language (py3langid, offline), with the short-text and mixed-script cases handled."""

from __future__ import annotations

import re
from functools import lru_cache

from detector.text.normalize import Normalized

from .textbytes import as_text, words

# ---------------------------------------------------------------------------------------------
# language

_EN_WORDS = words(
    "the and of to in for with you your is are we our will be on as this that have from an "
    "or at by it not can all who job work experience must able team please apply if their "
    "has more which they us skills company"
)
_ID_WORDS = words(
    "yang dan di ke untuk dengan dari ini itu tidak ada kami kamu anda bisa akan atau juga "
    "sudah saja gaji kerja lowongan dicari syarat hubungi segera tanpa pengalaman bulan minimal "
    "usia pria wanita lulusan sma smk langsung berangkat dapat hari jam bagi yg dgn utk tdk "
    "sdh aja gak nggak mau cari butuh loker pt perusahaan karyawan tenaga lamaran kirim "
    "berminat silahkan silakan info mohon sebagai kerjanya banyak buat sama jadi lagi dong "
    "kak gan bro sis"
)
# Words that tell Malay from Indonesian (shared words like "untuk", "kerja" do not).
_MS_WORDS = words(
    "sila syarikat jawatan kosong percuma boleh sahaja kerana wang tak nak ialah pekerja "
    "memohon permohonan ringgit bulanan elaun kelayakan berminat temuduga"
)
_ID_ONLY = words(
    "tidak bisa gak nggak sudah sdh saja aja yg dgn utk tdk silahkan silakan lowongan loker "
    "karyawan lamaran dicari kak gan"
)
_LANG_SLICE = 700


@lru_cache(maxsize=1)
def _langid():  # type: ignore[no-untyped-def]
    # py3langid 0.4's documented way to get probabilities (its README, "Usage"): the
    # package-level classify() gives raw scores; LanguageIdentifier and MODEL_FILE are the
    # public names the README imports for normalised ones. The model ships in the wheel.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


_PUNCT = b".,;:!?()[]{}\"'*/"
_STRIP = bytes.maketrans(_PUNCT, b" " * len(_PUNCT))
_EN_B = frozenset(w.encode() for w in _EN_WORDS)
_ID_B = frozenset(w.encode() for w in _ID_WORDS)
_MS_B = frozenset(w.encode() for w in _MS_WORDS)
_ID_ONLY_B = frozenset(w.encode() for w in _ID_ONLY)


def _count(data: bytes) -> tuple[int, int, int, int, int]:
    """Words, and DISTINCT English / Indonesian / Malay / Indonesian-only function words."""
    words = data.translate(_STRIP).split()
    distinct = set(words)
    return (
        len(words),
        len(_EN_B.intersection(distinct)),
        len(_ID_B.intersection(distinct)),
        len(_MS_B.intersection(distinct)),
        len(_ID_ONLY_B.intersection(distinct)),
    )


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NOT_ASCII_LETTER = bytes(c for c in range(128) if not chr(c).isalpha())


def _other_script(text: str) -> bool:
    """Whether over 5% of the letters are not ASCII (without a Python loop over every
    character: this runs for every ad of a scan)."""
    if text.isascii():
        return False
    foreign = sum(1 for c in _NON_ASCII.findall(text) if c.isalpha())
    ascii_letters = len(text.encode("ascii", "ignore").translate(None, _NOT_ASCII_LETTER))
    return foreign > 0.05 * (foreign + ascii_letters)


def detect_language(text: str | Normalized) -> str:
    """Guess the language of an ad: "en", "id", another ISO 639-1 code, or "und".

    A function-word count decides clear English or Indonesian quickly (and handles short,
    chatty WhatsApp-style posts that statistical models call Malay or Javanese); otherwise
    py3langid (offline) decides, re-ranked so that Indonesian wins over Malay/Javanese/Sundanese
    when Indonesian function words are present. Too little text, or low confidence, gives "und".

    Parameters
    ----------
    text : str or Normalized
        The ad or its normalisation.

    Returns
    -------
    str
        A language code.
    """
    t = as_text(text)
    norm = t.norm
    n, en, id_, ms, id_only = _count(t.data[:_LANG_SLICE])
    if n < 2:
        return "und"
    original = norm.original[:600]
    # English and Indonesian are written in plain Latin letters. Text with many other letters
    # (Vietnamese diacritics, Thai, Arabic, ...) goes to the statistical model: once folded
    # to ASCII, Vietnamese "hấp dẫn" reads as Indonesian "hap dan".
    other_script = _other_script(original)
    if not other_script:
        if ms >= 2 and ms > id_only and ms + id_ >= 3 and ms + id_ > en:
            return "ms"
        if id_ >= 2 and id_ >= 1.5 * en:
            return "id"
        if en >= 3 and en >= 2 * id_:
            return "en"
        if n < 3 and en + id_ == 0:
            return "und"
    lang, prob = _langid().classify(original)
    if lang in ("ms", "jv", "su", "tl", "ace", "min") and id_ > 0 and id_ >= ms:
        return "id"
    if lang in ("en", "id"):
        return lang
    if not other_script:
        if id_ > en and id_ >= 1:
            return "id"
        if en > id_ and en >= 2:
            return "en"
    if prob < 0.6 or (n < 4 and not other_script):  # scripts without spaces have few "words"
        return "und"
    return lang
