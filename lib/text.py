"""Folding names for matching what people type: "Tucsón", "st. louis" and "ST LOUIS" all fold
to the same words, without a database extension (PostgreSQL's unaccent may not be installed)."""

import re
import unicodedata

# Abbreviations written both ways in place names; folded to one spelling.
SAME_WORDS = {"saint": "st", "sainte": "ste", "mount": "mt", "fort": "ft"}


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces, common abbreviations unified."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    words = re.sub(r"[^\w]+", " ", plain.replace("&", " and ")).split()
    return " ".join(SAME_WORDS.get(word, word) for word in words)
