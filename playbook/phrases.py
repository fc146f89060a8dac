"""Turn the trainer-friendly phrase syntax of signal files into regular expressions.

Why a syntax of our own: trainers write ``doesn't work`` or ``keep .. refund``, not regex.
Text and phrases go through the same :func:`normalise`, so case, accents, curly quotes
and spacing never decide a match.

- words match across any run of spaces or punctuation;
- ``*`` stands for any run of letters (``refund*`` → refunds, refunded);
- ``..`` between words allows up to six words in between;
- an apostrophe is optional (``doesn't`` also matches ``doesnt``);
- ``(a|b)``, ``?`` and ``\\d`` keep their regex meaning for the rare phrase that needs them.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "＇": "'"})
_GAP = r"[\W_]+"
_SOME_WORDS = r"[\W_]+(?:\w+[\W_]+){0,6}?"


def is_cjk(char: str) -> bool:
    return (
        "\u3040" <= char <= "\u30ff" or "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"
    )


@functools.lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


def normalise(text: str) -> str:
    """Lower-case, straight quotes, no accents (é → e, й → и), full-width forms folded."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    if text.isascii():
        return text
    return "".join(_fold(c) if ord(c) > 127 and not is_cjk(c) else c for c in text)


def compile_phrase(phrase: str) -> str:
    """The regex source for one phrase (raises ValueError for one that cannot compile)."""
    text = normalise(phrase.strip())
    if not text:
        raise ValueError("empty phrase")
    source = text.replace("..", "\x00").replace("'", "'?").replace("*", r"\w*")
    source = re.sub(r"\s+", lambda _: _GAP, source)
    source = source.replace(f"{_GAP}\x00{_GAP}", _SOME_WORDS).replace("\x00", _SOME_WORDS)
    head, tail = text[0], text[-1]
    if head.isalnum() and not is_cjk(head):
        source = r"(?<!\w)" + source
    if tail.isalnum() and not is_cjk(tail):
        source += r"(?!\w)"
    try:
        re.compile(source)
    except re.error as exc:
        raise ValueError(f"not a valid phrase ({exc})") from None
    return source


_SYNTAX = re.compile(r"\.\.|[*()|?\\\[\]{}+^$]|\s+")


def anchor(phrase: str) -> str:
    """The longest piece of literal text every match of ``phrase`` must contain.

    A cheap ``anchor in text`` test rules a phrase out before its regex runs; "" means the
    phrase has no such piece (it then always runs).
    """
    text = normalise(phrase.strip())
    depth, outside = 0, []
    for char in text:
        if char == "(":
            depth += 1
            outside.append(" ")
        elif char == ")":
            depth = max(depth - 1, 0)
            outside.append(" ")
        else:
            outside.append(char if depth == 0 else " ")
    literal = re.sub(r".\?", " ", "".join(outside))  # `u?` makes that letter optional
    pieces = []
    for piece in _SYNTAX.split(literal):
        # an optional apostrophe splits a word; `x?` makes its last letter optional
        pieces.extend(p for p in piece.split("'") if p)
    candidates = [p for p in pieces if p and not p.startswith("\\")]
    return max(candidates, key=len, default="")
