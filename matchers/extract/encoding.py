"""Guess the text encoding of a document from a sample of its first bytes.

Leaks of a French institution's data are UTF-8 or Windows-1252 far more often than anything
else, and charset-normalizer alone mistakes short French latin-1 samples for cp1250 ("Hélčne")
or even big5. So: BOMs and UTF-8 first, then a cheap test for "accented letters inside
ASCII words" that picks cp1252, and charset-normalizer only for what is left (Cyrillic, CJK...).
Before cp1252, the DOS code page of an old laboratory or hospital system's exports (cp850): read
as cp1252 its é is a low quote ("H‚lŠne"), and the name matches nobody.
"""

import codecs
import re

from .magic import utf16_without_bom

#: errors= handler for UTF-8 documents: an invalid byte (a latin-1 line merged into a UTF-8
#: dump, which is common) decodes as cp1252 instead of becoming U+FFFD.
UTF8_FALLBACK = "leakwatch.cp1252-fallback"


def _cp1252_fallback(exc: UnicodeError):
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return bad.decode("cp1252", errors="replace"), exc.end


codecs.register_error(UTF8_FALLBACK, _cp1252_fallback)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Bytes that cp1252 leaves undefined: their presence means latin-1 proper.
_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
_WESTERN_PUNCT = set("’‘“”–—…€«»°©®·")


def detect(sample: bytes) -> str:
    """The codec name to read a document whose first bytes are ``sample``."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    utf16 = utf16_without_bom(sample)
    if utf16:
        return utf16
    if _mostly_utf8(sample):
        return "utf-8"
    if _looks_dos(sample):
        return "cp850"
    if _looks_western(sample):
        return "latin-1" if any(b in sample for b in _CP1252_UNDEFINED) else "cp1252"
    # Imported here: most samples are settled above, and charset-normalizer takes 13 ms to import.
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        return "cp1252"
    name = codecs.lookup(best.encoding).name
    return "latin-1" if name == "iso8859-1" else name


def errors_for(encoding: str) -> str:
    return UTF8_FALLBACK if encoding == "utf-8" else "replace"


def _mostly_utf8(sample: bytes) -> bool:
    """Valid UTF-8, or UTF-8 with a few foreign lines: more valid multi-byte characters than
    invalid bytes (which UTF8_FALLBACK then reads as cp1252)."""
    # final=False: the sample may end in the middle of a multi-byte character
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(sample, final=False)
    invalid = text.count("\ufffd")
    if not invalid:
        return True
    valid = sum(1 for ch in text if ch >= "\x80") - invalid
    return valid > invalid


# A word: ASCII letters and bytes above 127, for one of the two one-byte readings to say letters.
_WORD = re.compile(rb"[A-Za-z\x80-\xff]+")


def _looks_dos(sample: bytes) -> bool:
    """Its words with non-ASCII bytes read as letters in cp850 ("Hélène", "Besançon"), and most of
    them hold a byte of 0x80-0x9F, where cp850 has its small accented letters and cp1252
    punctuation or letters no French word has (é is cp1252's low quote, è its Š, î its Œ); a cp1252
    or latin-1 text has its accents in 0xA0-0xFF, and there only its apostrophe (’) and œ. Another
    script has runs of non-ASCII bytes, not letters among ASCII ones."""
    words = [w for w in _WORD.findall(sample) if not w.isascii()]
    if len(words) < 2:
        return False
    dos = not_cp1252 = 0
    for word in words:
        if 2 * sum(b >= 0x80 for b in word) > len(word):
            continue  # mostly non-ASCII: no accented Latin word
        dos += word.decode("cp850").isalpha()
        not_cp1252 += any(0x80 <= b < 0xA0 and b not in _CP1252_IN_FRENCH for b in word)
    return dos >= 0.8 * len(words) and not_cp1252 >= 0.5 * len(words)


_CP1252_IN_FRENCH = {0x92, 0x9C}  # ’ and œ ("l’hôpital", "Cœur")


def _looks_western(sample: bytes) -> bool:
    """Most non-ASCII characters, read as cp1252, are letters inside ASCII words ("Hélène")
    or Western punctuation. Cyrillic or CJK read this way gives runs of non-ASCII instead."""
    text = sample.decode("cp1252", errors="replace")
    high = good = 0
    for i, ch in enumerate(text):
        if ch < "\x80":
            continue
        high += 1
        if ch in _WESTERN_PUNCT:
            good += 1
        elif ch.isalpha() and (_ascii_letter(text, i - 1) or _ascii_letter(text, i + 1)):
            good += 1
    return high > 0 and good >= 0.7 * high


def _ascii_letter(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i] < "\x80" and text[i].isalpha()
