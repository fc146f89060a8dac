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
_AFTER_GAP = r"[\W_]*(?:\w+[\W_]+){0,6}?"
_ESCAPED = re.compile(r"\\[()|]")
# the literal a pattern begins with: letters, escaped signs, other signs that are no syntax
_LEAD = re.compile(r"(?:[^\W_]|\\[^\w\s]|[^\w\s\\()\[\]{}|?*+.^$])*")


# kana, CJK ideographs and compatibility ideographs: scripts written without spaces
CJK_CHARS = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"
CJK = re.compile(f"[{CJK_CHARS}]")


def is_cjk(char: str) -> bool:
    return CJK.match(char) is not None


class _AccentFold(dict):
    """A str.translate table that drops accents, filled the first time a character is seen.

    translate() runs in C and asks Python only about characters it has not met yet.
    """

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if code < 128 or is_cjk(char):
            folded = char
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        self[code] = folded
        return folded


_FOLD = _AccentFold(_QUOTES)
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def normalise(text: str) -> str:
    """Lower-case, straight quotes, no accents (é → e, й → и), full-width forms folded."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text.replace("`", "'") if "`" in text else text
    # accents and curly quotes, looked up only for the characters that are not ASCII
    return _NOT_ASCII.sub(_fold, text)


def _fold(match: re.Match) -> str:
    return match.group(0).translate(_FOLD)


@functools.cache  # content validation and the compiled lexicons ask for the same phrases
def compile_phrase(phrase: str) -> str:
    """The regex source for one phrase (raises ValueError for one that cannot compile)."""
    text = normalise(phrase.strip())
    if not text:
        raise ValueError("empty phrase")
    source = text.replace("..", "\x00").replace("'", "'?").replace("*", r"\w*")
    source = re.sub(r"\((?!\?)", "(?:", source)  # groups only group: nothing is captured
    source = re.sub(r"\s+\?", "\x01", source)  # "a ?b": the gap itself is optional
    source = re.sub(r"\s+", lambda _: _GAP, source).replace("\x01", r"[\W_]*")
    source = source.replace(f"{_GAP}\x00{_GAP}", _SOME_WORDS)
    # "(bitte )?.. prüfen": the group took the gap before ".." with it, so none must follow
    source = source.replace(f"\x00{_GAP}", _AFTER_GAP).replace("\x00", _SOME_WORDS)
    head, tail = text[0], text[-1]
    if head.isalnum() and not is_cjk(head):
        source = _word_start(source)
    elif text.startswith("(") and not text.startswith("(?") and not any(map(is_cjk, text)):
        source = _group_word_start(source)  # a leading group of words starts at a word, too
    if (tail.isalnum() and not is_cjk(tail)) or (
        text.rstrip("?").endswith(")") and not any(map(is_cjk, text))
    ):
        source += r"(?!\w)"
    try:
        re.compile(source)
    except re.error as exc:
        raise ValueError(f"not a valid phrase ({exc})") from None
    return source


def _word_start(source: str) -> str:
    """``source`` matching only at the start of a word.

    The check goes after the leading letters (``il(?<!\\w.{2})``), not before them, so the
    pattern still begins with a literal and the regex engine jumps straight to its
    occurrences; a leading look-behind makes it try every position (about 3x slower).
    """
    lead = _LEAD.match(source).group(0)
    if source[len(lead) : len(lead) + 1] in ("?", "*", "{", "+"):
        # that character is optional or repeated: not part of the literal
        lead = lead[:-2] if lead.endswith("\\", 0, len(lead) - 1) else lead[:-1]
    width = len(lead) - lead.count("\\")  # an escaped sign (\$) is one character
    if not width:
        return r"(?<!\w)" + source
    return lead + rf"(?<!\w.{{{width}}})" + source[len(lead) :]


def _group_word_start(source: str) -> str:
    """:func:`_word_start` for a pattern that begins with a group: each alternative gets
    the check after its own leading letters (``(?:so(?<!\\w.{2})|apenas(?<!\\w.{6}))``)."""
    depth = 0
    for index, char in enumerate(source):
        if char == "\\":
            continue
        if char == "(" and (index == 0 or source[index - 1] != "\\"):
            depth += 1
        elif char == ")" and source[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                break
    else:
        return r"(?<!\w)" + source
    group, after = source[3:index], source[index + 1 :]
    if not source.startswith("(?:") or after[:1] in ("?", "*", "{") or _ESCAPED.search(group):
        return r"(?<!\w)" + source  # an optional group, or escaped brackets: keep it simple
    alternatives = _alternatives(group)
    return "(?:" + "|".join(_word_start(a) for a in alternatives) + ")" + after


_SYNTAX = re.compile(r"\.\.|[*()|?\\\[\]{}+^$]|\s+")


def literal_pieces(phrase: str) -> list[str]:
    """The pieces of literal text every match of ``phrase`` contains, in phrase order.

    Group contents, character classes, optional letters and escaped classes (``\\d``) are
    left out: a match need not contain them; an escaped sign (``\\?``) is the sign itself.
    The pieces are normalised like the text they are looked for in.
    """
    text = normalise(phrase.strip())
    depth, outside, index = 0, [], 0
    while index < len(text):  # groups, character classes and counts are no literal text
        char = text[index]
        if char == "\\":
            escaped = text[index + 1 : index + 2]
            quantified = text[index + 2 : index + 3] in ("?", "*", "+", "{")
            # an escaped sign (\?, \.) is itself; a class (\d, \w) or an optional sign is not
            keep = escaped and not escaped.isalnum() and not quantified and depth == 0
            outside.append("\x00" + escaped if keep else "  ")
            index += 2
            continue
        if char in "([{":
            depth += 1
            outside.append(" ")
        elif char in ")]}":
            depth = max(depth - 1, 0)
            outside.append(" ")
        else:
            outside.append(char if depth == 0 else " ")
        index += 1
    literal = "".join(outside).replace("..", " ")
    literal = re.sub(r"(?<!\x00)[^\s\x00]\?", " ", literal)  # `u?`: that letter is optional
    literal = re.sub(r"[^\s\x00]*(?<!\x00)\.[^\s\x00]*", " ", literal)  # `.`: any character
    literal = re.sub(r"\x00(.)", lambda m: "\x01" if m.group(1) == "?" else m.group(1), literal)
    pieces = []
    for piece in _SYNTAX.split(literal):
        # an optional apostrophe splits a word
        pieces.extend(p.replace("\x01", "?") for p in piece.split("'") if p)
    return [p for p in pieces if p and not p.startswith("\\")]


def anchor(phrase: str, common: frozenset[str] = frozenset()) -> str:
    """The longest piece of literal text every match of ``phrase`` must contain.

    A cheap ``anchor in text`` test rules a phrase out before its regex runs; "" means the
    phrase has no such piece (it then always runs). Pieces in ``common`` (function words
    such as "que" or "nicht") are picked only when there is nothing rarer.
    """
    candidates = literal_pieces(phrase)
    return max(candidates, key=lambda p: (p not in common, len(p)), default="")


def _top_level_groups(text: str) -> list[tuple[str, str]]:
    """(content, the character after it) of each outermost plain group in a phrase."""
    groups, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
            if depth == 1:
                start = index
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                content = text[start + 1 : index]
                if not content.startswith("?"):
                    groups.append((content, text[index + 1 : index + 2]))
    return groups


def _alternatives(group: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in group:
        depth += char == "("
        depth -= char == ")"
        if char == "|" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def anchors(phrase: str, common: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Literal pieces one of which every match of ``phrase`` contains.

    Usually the single :func:`anchor`; when that is only a common word ("de", "que"),
    the alternatives of a required group (``de (mala|baja) calidad``) anchor it instead,
    so the phrase runs only on messages with one of them.
    """
    best = anchor(phrase, common)
    if best and best not in common and len(best) >= 3:
        return (best,)
    groups = []
    for group, after in _top_level_groups(normalise(phrase.strip())):
        if after in ("?", "*"):
            continue  # an optional group is no evidence
        picks = [anchor(alternative, common) for alternative in _alternatives(group)]
        if all(p and p not in common and len(p) >= (2 if is_cjk(p[0]) else 3) for p in picks):
            return tuple(sorted(set(picks)))
        if all(picks):
            groups.append(picks)
    if not best and groups:
        # short alternatives (一, so) still beat trying the phrase on every message
        return tuple(sorted(set(max(groups, key=lambda picks: min(map(len, picks))))))
    return (best,) if best else ()


def required_groups(phrase: str) -> tuple[tuple[str, ...], ...]:
    """For each group a match cannot skip, the literal pieces one of which it contains.

    ``(doesn't|won't) (play|spin)`` gives ``(("doesn't", "won't"), ("play", "spin"))``; a
    group with an alternative that has no literal piece (``(\\d+|one)``) tells nothing.
    """
    out = []
    for group, after in _top_level_groups(normalise(phrase.strip())):
        if after in ("?", "*"):
            continue
        picks = [anchor(alternative) for alternative in _alternatives(group)]
        if all(picks):
            out.append(tuple(sorted(set(picks))))
    return tuple(out)
