"""Dispute triage: a buyer's message (and the order) → category, reason, risk flags,
ranked resolutions with their money, and the evidence to collect.

The signals are phrases in ``content/signals/<lang>.yaml``; every language's phrases are
tried on every message, so mixed-language messages work, and the detected language is
used for the reply. Each hit is kept as evidence, so a trainee sees *why*.
"""

from __future__ import annotations

import gc
import html
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import Any

import pandas as pd
from ahocorasick_rs import AhoCorasick

from . import ids
from .content import Content, SignalFile, load_content
from .phrases import CJK as _CJK
from .phrases import (
    anchors,
    compile_phrase,
    is_cjk,
    literal_pieces,
    normalise,
    required_groups,
)
from .resolution import Money, Option, price_options

_TAG = re.compile(r"<[^>]{0,200}>")
_WORD = re.compile(r"[\w']+")
_CLAUSE = re.compile(r"[^.,;:!?。，；！？\n]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")
_UPPER = re.compile(r"[A-ZÀ-ÞА-ЯЁ]")
# look-arounds that see a newline exactly as they see the start or end of a text
_NEWLINE_SAFE = re.compile(r"\(\?!\\w\)|\(\?<!\\w(?:\.\{\d+\})?\)|\(\?<=\\d\)|\\\$")
_NEWLINE_SENSITIVE = re.compile(r"\(\?[=!<]|[\^$]|\\[AZsSn]")
_EIGHT_CAPITALS = re.compile(r"(?:[^A-ZÀ-ÞА-ЯЁ]*[A-ZÀ-ÞА-ЯЁ]){8}")
_LETTER = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿА-Яа-яЁё]")


@dataclass(frozen=True)
class Hit:
    """A phrase found in the message: the evidence behind a reason or flag."""

    label: str
    text: str
    lang: str
    weight: float


@dataclass(frozen=True)
class Assessment:
    """What the playbook makes of one buyer message."""

    category: str
    reason: str
    confidence: float
    flags: tuple[str, ...]
    lang: str
    resolutions: tuple[str, ...]
    options: tuple[Option, ...]
    evidence: tuple[str, ...]
    template: str
    why: str
    notes: tuple[str, ...] = ()
    hits: tuple[Hit, ...] = ()
    money: Money | None = None
    response_deadline: pd.Timestamp | None = None
    staff_lang: str = "en"
    evidence_text: tuple[str, ...] = field(default=(), repr=False)

    def signals_for(self, label: str) -> list[str]:
        """The phrases that support a reason or flag, as written in the message."""
        return [h.text for h in self.hits if h.label == label and h.weight > 0]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: ids, numbers, lists (what the CLI prints)."""
        return {
            "category": self.category,
            "reason": self.reason,
            "flags": list(self.flags),
            "confidence": self.confidence,
            "lang": self.lang,
            "resolutions": list(self.resolutions),
            "evidence": list(self.evidence),
            "template": self.template,
            "profit": self.money.profit if self.money else None,
            "max_partial_refund": self.money.max_partial_refund if self.money else None,
            "response_deadline": (
                self.response_deadline.isoformat() if self.response_deadline is not None else None
            ),
            "signals": {label: self.signals_for(label) for label in self._labels()},
            "notes": list(self.notes),
        }

    def _labels(self) -> list[str]:
        return [self.reason, *self.flags]

    def __repr__(self) -> str:
        flags = ", ".join(self.flags) or "no flags"
        said = "; ".join(f"{label}: {', '.join(map(repr, self.signals_for(label)))}"
                         for label in self._labels() if self.signals_for(label))  # fmt: skip
        lines = [
            f"Assessment({self.category}/{self.reason}, confidence {self.confidence:.2f}, "
            f"{flags}, lang {self.lang})",
            f"  signals: {said or 'none'}",
            f"  do: {' > '.join(self.resolutions)}  (template {self.template})",
            f"  collect: {', '.join(self.evidence)}",
        ]
        if self.money and self.money.known:
            lines.append(
                f"  money: profit {self.money.profit:.2f} {self.money.currency or ''}, "
                f"partial refund up to {self.money.max_partial_refund:.2f}"
            )
        if self.response_deadline is not None:
            lines.append(f"  answer the dispute by {self.response_deadline:%Y-%m-%d %H:%M} UTC")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return assessment_html(self)


# ------------------------------------------------------------------------ matching


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: cheap in sets
class _Phrase:
    kind: str
    label: str
    lang: str
    weight: float
    anchors: tuple[str, ...]
    regex: re.Pattern
    source: str
    # every literal piece a match contains, and for each required group the pieces one of
    # which it contains: a phrase whose text lacks them cannot match, and a set test on the
    # pieces found in the message is far cheaper than running its regex
    required: frozenset[str]
    groups: tuple[frozenset[str], ...]
    order: int  # its place among all phrases: ties between equal hits go to the first
    # whether its regex may run over many messages joined by newlines: it has no look-around
    # or anchor that a newline would answer differently from the start or end of a text
    joinable: bool

    @classmethod
    def of(
        cls,
        order: int,
        entry: tuple[str, str, str, float, str],
        common: frozenset[str],
    ) -> _Phrase:
        kind, label, lang, weight, phrase = entry
        regex = re.compile(compile_phrase(phrase))
        found = anchors(phrase, common)
        required = frozenset(p for p in literal_pieces(phrase) if _telling(p)) - set(found)
        groups = tuple(
            frozenset(group) for group in required_groups(phrase) if all(map(_telling, group))
        )
        joinable = not _NEWLINE_SENSITIVE.search(_NEWLINE_SAFE.sub("", regex.pattern))
        return cls(
            kind, label, lang, weight, found, regex, phrase, required, groups, order, joinable
        )

    @property
    def pieces(self) -> set[str]:
        """Every literal piece the matcher needs to know is in a message or not."""
        return {*self.anchors, *self.required, *chain.from_iterable(self.groups)}


def _telling(piece: str) -> bool:
    """Whether a piece is rare enough to be worth looking for ("a", "de" are in most text)."""
    return len(piece) >= 3 or (piece != "" and is_cjk(piece[0]))


class _Matcher:
    """Every language's phrases, compiled once; a message is matched in one pass.

    One Aho-Corasick scan (in C) finds which literal pieces of all phrases the message
    holds. A phrase is then tried only when one of its anchors is there, and its regex runs
    only when every piece it needs is there too, which keeps batches fast with thousands of
    phrases in seven languages.
    """

    def __init__(self, signals: Mapping[str, SignalFile], negatable: Iterable[str]):
        self.files = dict(signals)
        self.negatable = frozenset(negatable)
        self.negations = {
            lang: frozenset(normalise(n) for n in f.negations) for lang, f in signals.items()
        }
        self.negation_regex = {
            lang: re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))
            for lang, words in self.negations.items()
            if words
        }
        self.conditionals = {
            lang: frozenset(normalise(c) for c in f.conditionals) for lang, f in signals.items()
        }
        # languages told apart by their words (Chinese and Russian by their script)
        self.latin_langs = [lang for lang in signals if lang not in ("zh", "ru")]
        self.word_langs: dict[str, tuple[str, ...]] = {}
        for lang in self.latin_langs:
            for word in {normalise(w) for w in signals[lang].detect}:
                self.word_langs[word] = (*self.word_langs.get(word, ()), lang)
        # letters that only some languages use (ñ, ß, ç): each is worth two words
        self.char_langs: dict[str, tuple[str, ...]] = {}
        for lang in self.latin_langs:
            for char in dict.fromkeys(signals[lang].detect_chars):
                self.char_langs[char] = (*self.char_langs.get(char, ()), lang)
        chars = "".join(map(re.escape, self.char_langs))
        self.char_regex = re.compile(f"[{chars}]") if chars else None
        # function words and negations of every language: poor anchors, they are everywhere
        common = frozenset(
            normalise(w) for f in signals.values() for w in [*f.detect, *f.negations]
        )
        entries = [
            (kind, label, lang, weight, phrase)
            for lang, file in self.files.items()
            for kind in ("reasons", "flags", "context")
            for label, phrase, weight in file.entries(kind)
        ]
        self.phrases = [_Phrase.of(order, e, common) for order, e in enumerate(entries)]
        self.always = [p for p in self.phrases if not p.anchors]
        self.by_anchor: dict[str, list[_Phrase]] = {}
        for phrase in self.phrases:
            for literal in phrase.anchors:
                self.by_anchor.setdefault(literal, []).append(phrase)
        self.anchor_set = frozenset(self.by_anchor)
        self.pieces = AhoCorasick(sorted(set().union(*(p.pieces for p in self.phrases))))
        # the phrases a negation before them cancels ("not broken")
        self.negatable_phrases = frozenset(
            p for p in self.phrases if p.weight > 0 and p.label in self.negatable
        )
        self._notes: dict[str, dict[str, str]] = {}
        self._evidence: dict[tuple[tuple[str, ...], str], tuple[str, ...]] = {}
        self._unpriced: dict[tuple[tuple[str, ...], str], list[Option]] = {}

    def unpriced(self, resolutions: tuple[str, ...], lang: str, content: Content) -> list[Option]:
        """Options without money (no order, or its cost unknown), cached per ranking."""
        key = (resolutions, lang)
        if key not in self._unpriced:
            self._unpriced[key] = price_options(
                list(resolutions), Money.of(None), lang=lang, content=content
            )
        return self._unpriced[key]

    def notes(self, plan: Any, lang: str) -> dict[str, str]:
        """The context notes of resolutions.yaml in one staff language (worded once)."""
        if lang not in self._notes:
            self._notes[lang] = {key: text(lang) for key, text in plan.context.items()}
        return self._notes[lang]

    def evidence_text(self, plan: Any, evidence: tuple[str, ...], lang: str) -> tuple[str, ...]:
        """The evidence items worded in one staff language (worded once per list)."""
        key = (evidence, lang)
        if key not in self._evidence:
            self._evidence[key] = tuple(plan.evidence[e](lang) for e in evidence)
        return self._evidence[key]

    def negated(self, text: str, start: int, lang: str) -> bool:
        """Whether a negation word of ``lang`` stands just before ``start`` in its clause."""
        negations = self.negations.get(lang)
        if not negations or start == 0:
            return False
        # most hits have no negation word anywhere near: one C search rules that out
        if not self.negation_regex[lang].search(text, max(0, start - 48), start):
            return False
        window = self.files[lang].negation_window
        before = text[max(0, start - 48) : start]
        # what follows the last clause end (matched on the reversed text: one linear pass)
        before = before[len(before) - _CLAUSE.match(before[::-1]).end() :]
        if lang == "zh" or (before and is_cjk(before[-1])):
            tail = before[-window:]
            return any(n in tail for n in negations)
        words = _WORD.findall(before)
        conditionals = self.conditionals.get(lang, frozenset())
        start = max(len(words) - window, 0)
        return any(
            word in negations and not (i > 0 and words[i - 1] in conditionals)
            for i, word in enumerate(words[start:], start=start)
        )

    def find(self, text: str) -> list[tuple[str, Hit]]:
        """(kind, hit) for every phrase in ``text``; overlapping hits of one label count once."""
        spans: list[tuple[int, int, _Phrase]] = []
        present = set(self.pieces.find_matches_as_strings(text, overlapping=True))
        # a phrase with several anchors runs once, however many of them are present
        anchored = chain.from_iterable(map(self.by_anchor.__getitem__, present & self.anchor_set))
        candidates = dict.fromkeys(chain(self.always, anchored) if self.always else anchored)
        for phrase in candidates:
            # plain loops: a generator per phrase would cost more than the test itself
            if phrase.required and not phrase.required <= present:
                continue
            for group in phrase.groups:
                if present.isdisjoint(group):
                    break
            else:
                spans.extend((m.start(), m.end(), phrase) for m in phrase.regex.finditer(text))
        return self._hits(text, spans)

    def find_many(self, texts: list[str]) -> list[list[tuple[str, Hit]]]:
        """:meth:`find` for a batch, with the same result, message by message.

        Each phrase runs once over the messages that hold its pieces, joined by newlines
        (no phrase matches across one unless it spans words, and then those messages are
        run again one by one), so the cost per message is the regex scan itself rather
        than thousands of small Python steps.
        """
        holders: dict[str, list[int]] = {}  # piece -> the messages that hold it
        for number, text in enumerate(texts):
            for piece in set(self.pieces.find_matches_as_strings(text, overlapping=True)):
                holders.setdefault(piece, []).append(number)
        held = {piece: set(numbers) for piece, numbers in holders.items()}
        everyone = set(range(len(texts)))
        spans: list[list[tuple[int, int, _Phrase]]] = [[] for _ in texts]
        for phrase in self.phrases:
            if phrase.anchors:
                numbers = set().union(*(held.get(a, ()) for a in phrase.anchors))
            else:
                numbers = set(everyone)
            for piece in phrase.required:
                if not numbers:
                    break
                numbers &= held.get(piece, set())
            for group in phrase.groups:
                if not numbers:
                    break
                numbers &= set().union(*(held.get(p, ()) for p in group))
            if numbers:
                self._run(phrase, sorted(numbers), texts, spans)
        return [self._hits(text, found) for text, found in zip(texts, spans, strict=True)]

    def _run(
        self,
        phrase: _Phrase,
        numbers: list[int],
        texts: list[str],
        spans: list[list[tuple[int, int, _Phrase]]],
    ) -> None:
        """Add the matches of ``phrase`` in the messages ``numbers`` to their spans."""
        if len(numbers) == 1 or not phrase.joinable:
            for number in numbers:
                text = texts[number]
                found = phrase.regex.finditer(text)
                spans[number].extend((m.start(), m.end(), phrase) for m in found)
            return
        starts, offset = [], 0
        for number in numbers:
            starts.append(offset)
            offset += len(texts[number]) + 1
        joined = "\n".join([texts[n] for n in numbers])
        found: list[tuple[int, int, int]] = []
        again: set[int] = set()  # messages a match ran across: run alone
        for match in phrase.regex.finditer(joined):
            start, stop = match.span()
            index = bisect_right(starts, start) - 1
            first = starts[index]
            if stop - first > len(texts[numbers[index]]):
                again.update(range(index, bisect_right(starts, stop - 1)))
            else:
                found.append((index, start - first, stop - first))
        for index, start, stop in found:
            if index not in again:
                spans[numbers[index]].append((start, stop, phrase))
        for index in sorted(again):
            self._run(phrase, [numbers[index]], texts, spans)

    def _hits(self, text: str, spans: list[tuple[int, int, _Phrase]]) -> list[tuple[str, Hit]]:
        """The hits of ``text`` from its phrase matches: negated ones dropped, overlapping
        ones of one label counted once, in reading order."""
        found: dict[str, list[tuple[int, int, _Phrase]]] = {}
        negatable = self.negatable_phrases
        for start, stop, phrase in spans:
            if phrase in negatable and self.negated(text, start, phrase.lang):
                continue
            found.setdefault(phrase.label, []).append((start, stop, phrase))
        hits = []
        for label_spans in found.values():
            # overlapping phrases of one label count once: the strongest (then longest) wins;
            # a negative phrase is counter-evidence and always counts ("100%" is no discount)
            label_spans.sort(key=_strongest_first)
            taken: list[tuple[int, int]] = []
            for start, stop, phrase in label_spans:
                if phrase.weight < 0 or _free(start, stop, taken):
                    taken.append((start, stop))
                    words = text[start:stop]
                    hit = Hit(phrase.label, words, phrase.lang, phrase.weight)
                    hits.append((start, phrase.label, words, phrase.order, phrase.kind, hit))
        # in reading order, whatever order the phrases ran in
        hits.sort()
        return [(h[4], h[5]) for h in hits]

    def detect(self, text: str, raw: str) -> str | None:
        """The message's main language, or None when nothing tells.

        ``text`` is the normalised message (for words), ``raw`` the message as written (its
        accented letters, e.g. ñ or ß, are clues that normalising removes).
        """
        if not text.isascii():
            cjk, cyrillic = len(_CJK.findall(text)), len(_CYRILLIC.findall(text))
            latin = len(_LATIN.findall(text)) if cjk or cyrillic else 0
            if cjk and "zh" in self.files and cjk * 3 >= latin / 4:
                return "zh"
            if cyrillic > latin and "ru" in self.files:
                return "ru"
        scores = dict.fromkeys(self.latin_langs, 0.0)
        word_langs = self.word_langs
        for word in filter(word_langs.__contains__, _WORD.findall(text)):
            for lang in word_langs[word]:
                scores[lang] += 1
        if not raw.isascii() and self.char_regex is not None:
            char_langs = self.char_langs
            for char in self.char_regex.findall(raw.casefold()):
                for lang in char_langs[char]:
                    scores[lang] += 2
        best = max(scores.values(), default=0)
        if best == 0:
            return None
        if scores.get("en") == best:  # English wins a tie
            return "en"
        return max(scores, key=scores.__getitem__)


def _strongest_first(span: tuple[int, int, _Phrase]) -> tuple[float, int, int, int]:
    start, stop, phrase = span
    return -phrase.weight, start - stop, start, phrase.order


def _free(start: int, stop: int, taken: list[tuple[int, int]]) -> bool:
    """Whether [start, stop) overlaps none of the spans already taken."""
    for a, b in taken:  # noqa: SIM110 - a plain loop: all() over a generator costs more
        if stop > a and start < b:
            return False
    return True


@lru_cache(maxsize=8)
def _matcher(content: Content) -> _Matcher:
    return _Matcher(content.signals, content.resolutions.scoring.negatable)


# ------------------------------------------------------------------------ deciding


def _clean(text: Any, limit: int) -> tuple[str, list[str]]:
    """Text as a person reads it: no HTML tags or entities, at most ``limit`` characters."""
    notes = []
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        text = ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = str(text)
    if len(text) > limit:
        notes.append(f"long message: only the first {limit:,} characters were read")
        text = text[:limit]
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if not text.isprintable():  # every control character is unprintable: most text skips this
        text = _CONTROL.sub(" ", text)
    return text, notes


def _shouting(text: str) -> bool:
    """Mostly capital letters (Latin or Cyrillic), over enough letters to mean it."""
    if text == text.lower():
        return False
    if not _EIGHT_CAPITALS.match(text):  # 12 letters at over 60 % capitals need 8 of them
        return False
    letters = len(text) - len(_LETTER.sub("", text))  # one string, not a list of letters
    return letters >= 12 and (len(text) - len(_UPPER.sub("", text))) / letters > 0.6


def _get(order: Mapping[str, Any] | None, key: str) -> Any:
    if not order:
        return None
    value = order.get(key)
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    return value


def _deadline(order: Mapping[str, Any] | None, content: Content) -> pd.Timestamp | None:
    opened = _get(order, "dispute_opened_at")
    outcome = _get(order, "dispute_outcome")
    if opened is None or (outcome is not None and outcome != "open"):
        return None
    try:
        stamp = pd.Timestamp(opened)
    except (TypeError, ValueError):
        return None
    if pd.isna(stamp):
        return None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp + pd.Timedelta(days=content.marketplace.dispute.response_days)


def _confidence(top: float, second: float) -> float:
    if top <= 0:
        return 0.0
    return round(max(0.05, min(0.99, (top - second / 2) / (top + 2))), 2)


def assess(
    text: Any,
    order: Mapping[str, Any] | pd.Series | None = None,
    *,
    lang: str | None = None,
    staff_lang: str = "en",
    content: Content | None = None,
) -> Assessment:
    """Assess one buyer message, optionally with its order (contract columns or case keys).

    Never raises on the text: empty, huge, binary or HTML input gives a low-confidence
    assessment with a note. ``lang`` is the message's language if known (detected if not).
    """
    content = content or load_content()
    read = _Read.of(text, lang, content)
    return _decide(read, _matcher(content).find(read.norm), order, staff_lang, content)


@dataclass
class _Read:
    """A message as the matcher reads it: cleaned, normalised, its language known."""

    cleaned: str
    norm: str
    lang: str
    notes: list[str]

    @classmethod
    def of(cls, text: Any, lang: str | None, content: Content) -> _Read:
        cleaned, notes = _clean(text, content.resolutions.scoring.max_chars)
        norm = normalise(cleaned)
        if lang not in content.signals:
            lang = _matcher(content).detect(norm, cleaned) or "en"
        return cls(cleaned, norm, lang, notes)


def _decide(
    read: _Read,
    found: list[tuple[str, Hit]],
    order: Mapping[str, Any] | pd.Series | None,
    staff_lang: str,
    content: Content,
) -> Assessment:
    """The assessment from what the matcher found in a message, and the order."""
    if isinstance(order, pd.Series):
        order = order.to_dict()
    plan = content.resolutions
    scoring = plan.scoring
    matcher = _matcher(content)
    note_text = matcher.notes(plan, staff_lang)
    cleaned, notes, message_lang = read.cleaned, list(read.notes), read.lang
    hits = [hit for kind, hit in found if kind != "context"]
    context = [hit for kind, hit in found if kind == "context"]
    if _shouting(cleaned):
        hits.append(Hit("hostile", "ALL CAPS", message_lang, scoring.shouting_weight))
    for emoji in scoring.angry_emoji:
        if emoji in cleaned:
            hits.append(Hit("hostile", emoji, message_lang, scoring.shouting_weight))

    scores = dict.fromkeys(ids.REASON_IDS, 0.0)
    flag_scores = dict.fromkeys(ids.FLAG_IDS, 0.0)
    for hit in hits:
        bucket = scores if hit.label in scores else flag_scores
        bucket[hit.label] += hit.weight
    context_scores: dict[str, float] = {}
    for hit in context:
        context_scores[hit.label] = context_scores.get(hit.label, 0.0) + hit.weight
    if (
        flag_scores["partial_refund_ask"] >= scoring.flag_threshold
        and flag_scores["partial_refund_ask"] >= flag_scores["keep_and_refund"]
    ):
        # "I keep it if you refund half" asks for part of the money: a partial-refund ask,
        # not the keep-everything-and-get-all-the-money-back scheme
        flag_scores["keep_and_refund"] = 0.0
        if scores["bad_faith"] < scoring.override_strength:  # only "I keep it", no scheme
            scores["bad_faith"] = min(scores["bad_faith"], 0.0)
    flags = tuple(f for f in ids.FLAG_IDS if flag_scores[f] >= scoring.flag_threshold)

    # a stable sort keeps the contract's order among equal scores
    first = max(scores, key=scores.__getitem__)  # the first of equals, as a stable sort
    top, second = sorted(scores.values(), reverse=True)[:2]
    reason = first
    tracking = _get(order, "tracking_status")
    resolutions_first: list[str] = []

    if not cleaned.strip():
        notes.append(note_text["empty"])
    if top <= 0:
        reason = (
            "not_received" if tracking in ("in_transit", "no_updates") else scoring.fallback_reason
        )
        notes.append(note_text["low_confidence"])
    elif reason == "not_received" and tracking == "delivered":
        admits = context_scores.get("admits_receipt", 0)
        checked = context_scores.get("good_faith_check", 0)
        # the buyer's own words say it came, and outweigh any search they describe
        if (admits >= 2 and admits > checked) or "keep_and_refund" in flags:
            reason = "bad_faith"
            notes.append(note_text["delivered_contradicted"])
        else:
            resolutions_first = ["escalate_to_platform"]
            notes.append(note_text["delivered_but_not_received"])
    if "keep_and_refund" in flags and reason != "bad_faith":
        strongest = max(
            (scores[r] for r in ids.REASON_IDS if ids.REASON_CATEGORY[r] != "buyer"), default=0
        )
        if reason in ("not_received", "changed_mind") or strongest < scoring.override_strength:
            reason = "bad_faith"

    confidence = _confidence(scores[reason] or top, second if reason == first else top)
    plan_for = plan.reasons[reason]
    resolutions = list(dict.fromkeys([*resolutions_first, *plan_for.resolutions]))

    money = Money.of(order) if order else None
    if money is not None and money.order_value is not None and not money.known:
        notes.append(note_text["no_cost"])
    if (
        money is not None
        and money.known
        and (money.profit or 0) <= 0
        and "partial_refund" in resolutions
    ):
        resolutions.remove("partial_refund")
        notes.append(note_text["no_profit"])
    if (
        "partial_refund_ask" in flags
        and "partial_refund" in resolutions
        and (money is None or not money.known or (money.profit or 0) > 0)
        and ids.REASON_CATEGORY[reason] == "product"
    ):
        resolutions.remove("partial_refund")
        resolutions.insert(0, "partial_refund")
    for flag in flags:
        notes.append(plan.flags[flag].note(staff_lang))

    evidence = list(plan_for.evidence)
    if tracking == "delivered" and reason in ("not_received", "bad_faith"):
        evidence = ["proof_of_delivery", *[e for e in evidence if e != "proof_of_delivery"]]

    if money is not None and money.known:
        options = price_options(resolutions, money, lang=staff_lang, content=content)
    else:  # no money to compute: the same options every time, worded once
        options = matcher.unpriced(tuple(resolutions), staff_lang, content)
    return Assessment(
        category=ids.REASON_CATEGORY[reason],
        reason=reason,
        confidence=confidence if top > 0 else 0.0,
        flags=flags,
        lang=message_lang,
        resolutions=tuple(resolutions),
        options=tuple(options),
        evidence=tuple(evidence),
        template=options[0].template,
        why=plan_for.why(staff_lang),
        notes=tuple(dict.fromkeys(notes)),
        hits=tuple(h for h in hits if h.weight > 0),
        money=money,
        response_deadline=_deadline(order, content),
        staff_lang=staff_lang,
        evidence_text=matcher.evidence_text(plan, tuple(evidence), staff_lang),
    )


ORDER_KEYS = (
    "order_id", "order_value", "currency", "cost", "shipping_cost", "tracking_status",
    "days_since_shipped", "dispute_opened_at", "dispute_outcome", "buyer_country",
)  # fmt: skip


def assess_many(
    frame: pd.DataFrame,
    text_col: str = "text",
    *,
    lang_col: str | None = None,
    staff_lang: str = "en",
    progress: bool | None = None,
    content: Content | None = None,
) -> pd.DataFrame:
    """Assess every row of ``frame``; order columns beside the text are used as context.

    Returns one row per input row, same index, with the assessment's plain values.
    A progress bar shows on batches over 2,000 rows (or when ``progress=True``).
    """
    if text_col not in frame.columns:
        raise KeyError(f"no {text_col!r} column; columns are {list(frame.columns)}")
    content = content or load_content()
    order_cols = [c for c in ORDER_KEYS if c in frame.columns]
    texts = frame[text_col].tolist()
    langs = frame[lang_col].tolist() if lang_col and lang_col in frame.columns else None
    orders: list[dict | None] = (
        frame[order_cols].to_dict(orient="records") if order_cols else [None] * len(frame)
    )
    langs = langs or [None] * len(frame)
    show = progress if progress is not None else len(frame) > 2000
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(frame), desc="triage", unit="msg")
    matcher = _matcher(content)
    records = []
    # Assessments hold no reference cycles, so reference counting frees them; pausing the
    # cycle collector for the batch saves the repeated full scans it would otherwise make
    # of everything already loaded (about a quarter of the time on big batches).
    collecting = gc.isenabled()
    gc.disable()
    try:
        # in chunks: the matcher runs each phrase once per chunk, and the bar moves
        for first in range(0, len(texts), _CHUNK):
            chunk = slice(first, first + _CHUNK)
            reads = [
                _Read.of(text, lang if isinstance(lang, str) else None, content)
                for text, lang in zip(texts[chunk], langs[chunk], strict=True)
            ]
            found = matcher.find_many([read.norm for read in reads])
            records += [
                _decide(read, hits, order, staff_lang, content).to_dict()
                for read, hits, order in zip(reads, found, orders[chunk], strict=True)
            ]
            if bar is not None:
                bar.update(len(reads))
    finally:
        if collecting:
            gc.enable()
        if bar is not None:
            bar.close()
    return pd.DataFrame.from_records(records, index=frame.index)


_CHUNK = 2000  # messages matched together: big enough to share the work, small for the bar


def _money_cell(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def assessment_html(a: Assessment) -> str:
    """A compact card for notebooks: decision, signals, options with money, evidence."""
    esc = html.escape
    content = load_content()
    tax = content.taxonomy
    lang = a.staff_lang
    head = (
        f"<b>{esc(tax.label('categories', a.category, lang))}</b> → "
        f"<b>{esc(tax.label('reasons', a.reason, lang))}</b> "
        f"<code>{a.category}/{a.reason}</code> · {a.confidence:.0%} · {esc(a.lang)}"
    )
    flags = " ".join(
        f'<span style="background:#c62828;color:#fff;border-radius:3px;padding:0 5px">'
        f"{esc(tax.label('flags', f, lang))}</span>"
        for f in a.flags
    )
    signals = "; ".join(
        f"<code>{esc(label)}</code>: " + ", ".join(f"“{esc(t)}”" for t in a.signals_for(label))
        for label in a._labels()
        if a.signals_for(label)
    )
    rows = "".join(
        f"<tr><td>{i}</td><td>{esc(o.label)}</td><td>{_money_cell(o.refund)}</td>"
        f"<td>{_money_cell(o.extra_cost)}</td><td>{_money_cell(o.net)}</td>"
        f"<td><code>{esc(o.template)}</code></td></tr>"
        for i, o in enumerate(a.options, start=1)
    )
    currency = esc(a.money.currency or "") if a.money else ""
    money = ""
    if a.money and a.money.known:
        money = (
            f"<p>profit {a.money.profit:,.2f} {currency} · partial refund up to "
            f"{a.money.max_partial_refund:,.2f}</p>"
        )
    table = (
        f"<table><tr><th>#</th><th>option</th><th>refund {currency}</th><th>extra cost</th>"
        f"<th>left of profit</th><th>template</th></tr>{rows}</table>"
    )
    evidence = "".join(f"<li>{esc(e)}</li>" for e in a.evidence_text)
    notes = "".join(f"<li>{esc(n)}</li>" for n in a.notes)
    return (
        f"<div>{head} {flags}<br><small>{signals or 'no signals'}</small>"
        f"<p>{esc(a.why)}</p>{money}{table}<p><b>Evidence</b></p><ol>{evidence}</ol>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "</div>"
    )
