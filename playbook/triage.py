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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import Any

import pandas as pd

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
    trie_pattern,
)
from .resolution import Money, Option, price_options

_TAG = re.compile(r"<[^>]{0,200}>")
_WORD = re.compile(r"[\w']+")
_LAST_CLAUSE = re.compile(r"(?<=[.,;:!?。，；！？\n])[^.,;:!?。，；！？\n]*\Z")
_WORD_ONLY = re.compile(r"\w+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")
_UPPER = re.compile(r"[A-ZÀ-ÞА-ЯЁ]")
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
    # which it contains: a phrase whose text lacks them cannot match, and a few substring
    # tests are far cheaper than running its regex
    required: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]

    @classmethod
    def of(
        cls, kind: str, label: str, lang: str, weight: float, phrase: str, common: frozenset[str]
    ) -> _Phrase:
        regex = re.compile(compile_phrase(phrase))
        found = anchors(phrase, common)
        required = tuple(p for p in dict.fromkeys(literal_pieces(phrase)) if p not in found)
        groups = required_groups(phrase)
        return cls(kind, label, lang, weight, found, regex, phrase, required, groups)


def _may_match(phrase: _Phrase, text: str) -> bool:
    """Whether ``text`` holds every literal piece the phrase needs (plain loops: cheaper
    than all()/any() generators on one to three pieces)."""
    for piece in phrase.required:
        if piece not in text:
            return False
    for group in phrase.groups:
        for piece in group:
            if piece in text:
                break
        else:
            return False
    return True


def _starts_word(literal: str, phrases: list[_Phrase]) -> bool:
    """Whether every phrase with this anchor has it at the start of a word of letters."""
    if not _WORD_ONLY.fullmatch(literal) or any(is_cjk(c) for c in literal):
        return False
    for phrase in phrases:
        source = normalise(phrase.source)
        index = source.find(literal)
        if index < 0 or (index > 0 and (source[index - 1].isalnum() or source[index - 1] in "*_")):
            return False
    return True


class _Matcher:
    """Every language's phrases, compiled once; a message is matched in one pass.

    Each phrase is tried only when its anchor (a literal piece every match contains) is in
    the text, which keeps batches fast with hundreds of phrases in seven languages.
    """

    def __init__(self, signals: Mapping[str, SignalFile], negatable: Iterable[str]):
        self.files = dict(signals)
        self.negatable = frozenset(negatable)
        self.negations = {
            lang: frozenset(normalise(n) for n in f.negations) for lang, f in signals.items()
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
        # function words and negations of every language: poor anchors, they are everywhere
        common = frozenset(
            normalise(w) for f in signals.values() for w in [*f.detect, *f.negations]
        )
        self.phrases = [
            _Phrase.of(kind, label, lang, weight, phrase, common)
            for lang, file in self.files.items()
            for kind in ("reasons", "flags", "context")
            for label, phrase, weight in file.entries(kind)
        ]
        self.always = [p for p in self.phrases if not p.anchors]
        self.by_anchor: dict[str, list[_Phrase]] = {}
        for phrase in self.phrases:
            for literal in phrase.anchors:
                self.by_anchor.setdefault(literal, []).append(phrase)
        # Most anchors begin a word: look them up as prefixes of the message's words (a few
        # dict look-ups a word). The rest (Chinese, mid-word, with punctuation) are searched.
        self.word_anchors = {a for a in self.by_anchor if _starts_word(a, self.by_anchor[a])}
        searched = [a for a in self.by_anchor if a not in self.word_anchors]
        self.searched = [a for a in searched if not any(map(is_cjk, a))]
        self.searched_cjk = [a for a in searched if any(map(is_cjk, a))]
        # one scan finds the longest word anchor at each word start; the shorter anchors
        # that start there are its prefixes
        words = sorted(self.word_anchors)
        self.word_regex = re.compile(rf"(?<!\w)({trie_pattern(words)})") if words else None
        self.prefixes = _prefixes(words, self.word_anchors)
        # Chinese anchors may start anywhere: a look-ahead finds the longest at every position
        cjk = sorted(self.searched_cjk)
        self.cjk_regex = re.compile(f"(?=({trie_pattern(cjk)}))") if cjk else None
        self.cjk_prefixes = _prefixes(cjk, set(cjk))
        self._notes: dict[str, dict[str, str]] = {}
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

    def negated(self, text: str, start: int, lang: str) -> bool:
        """Whether a negation word of ``lang`` stands just before ``start`` in its clause."""
        negations = self.negations.get(lang)
        if not negations or start == 0:
            return False
        window = self.files[lang].negation_window
        before = text[max(0, start - 48) : start]
        clause = _LAST_CLAUSE.search(before)  # what follows the last clause end
        if clause is not None:
            before = clause.group(0)
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
        found: dict[str, list[tuple[int, int, _Phrase]]] = {}
        present = {a for a in self.searched if a in text}
        if self.cjk_regex is not None and _CJK.search(text):
            for longest in set(self.cjk_regex.findall(text)):
                present.update(self.cjk_prefixes[longest])
        if self.word_regex is not None:
            for longest in set(self.word_regex.findall(text)):
                present.update(self.prefixes[longest])
        # a phrase with several anchors runs once, however many of them are present
        by_anchor = self.by_anchor
        candidates = dict.fromkeys(chain(self.always, *(by_anchor[a] for a in present)))
        spans = []
        for phrase in candidates:
            if _may_match(phrase, text):
                spans.extend((m.start(), m.end(), phrase) for m in phrase.regex.finditer(text))
        for start, stop, phrase in spans:
            if (
                phrase.weight > 0
                and phrase.label in self.negatable
                and self.negated(text, start, phrase.lang)
            ):
                continue
            found.setdefault(phrase.label, []).append((start, stop, phrase))
        hits = []
        for label_spans in found.values():
            # overlapping phrases of one label count once: the strongest (then longest) wins;
            # a negative phrase is counter-evidence and always counts ("100%" is no discount)
            label_spans.sort(key=lambda s: (-s[2].weight, s[0] - s[1], s[0]))
            taken: list[tuple[int, int]] = []
            for start, stop, phrase in label_spans:
                if phrase.weight < 0 or all(stop <= a or start >= b for a, b in taken):
                    taken.append((start, stop))
                    hit = Hit(phrase.label, text[start:stop], phrase.lang, phrase.weight)
                    hits.append((start, phrase.kind, hit))
        # in reading order, whatever order the anchors were found in (sets are unordered)
        hits.sort(key=lambda h: (h[0], h[2].label, h[2].text))
        return [(kind, hit) for _, kind, hit in hits]

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
        for word in _WORD.findall(text):
            for lang in self.word_langs.get(word, ()):
                scores[lang] += 1
        if not raw.isascii():
            lowered = raw.casefold()
            for lang in self.latin_langs:
                scores[lang] += 2 * sum(lowered.count(c) for c in self.files[lang].detect_chars)
        if not scores or max(scores.values()) == 0:
            return None
        return max(scores, key=lambda lang: (scores[lang], lang == "en"))


def _prefixes(words: list[str], anchors: set[str]) -> dict[str, list[str]]:
    """Each anchor's prefixes that are anchors too (itself included)."""
    return {a: [a[:k] for k in range(1, len(a) + 1) if a[:k] in anchors] for a in words}


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
    text = _CONTROL.sub(" ", text)
    return text, notes


def _shouting(text: str) -> bool:
    """Mostly capital letters (Latin or Cyrillic), over enough letters to mean it."""
    if text == text.lower():
        return False
    if sum(map(str.isupper, text)) < 8:  # 12 letters at over 60 % capitals need 8 of them
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
    if isinstance(order, pd.Series):
        order = order.to_dict()
    plan = content.resolutions
    scoring = plan.scoring
    matcher = _matcher(content)
    note_text = matcher.notes(plan, staff_lang)

    cleaned, notes = _clean(text, scoring.max_chars)
    norm = normalise(cleaned)
    message_lang = lang if lang in content.signals else (matcher.detect(norm, cleaned) or "en")

    found = matcher.find(norm)
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
    (first, top), (_, second) = sorted(scores.items(), key=lambda kv: -kv[1])[:2]
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
        evidence_text=tuple(plan.evidence[e](staff_lang) for e in evidence),
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
    orders: Iterable[dict | None] = (
        frame[order_cols].to_dict(orient="records") if order_cols else [None] * len(frame)
    )
    rows = zip(texts, orders, langs or [None] * len(frame), strict=True)
    show = progress if progress is not None else len(frame) > 2000
    if show:
        from tqdm.auto import tqdm

        rows = tqdm(rows, total=len(frame), desc="triage", unit="msg")
    # Assessments hold no reference cycles, so reference counting frees them; pausing the
    # cycle collector for the batch saves the repeated full scans it would otherwise make
    # of everything already loaded (about a quarter of the time on big batches).
    collecting = gc.isenabled()
    gc.disable()
    try:
        records = [
            assess(text, order, lang=lang if isinstance(lang, str) else None,
                   staff_lang=staff_lang, content=content).to_dict()
            for text, order, lang in rows
        ]  # fmt: skip
    finally:
        if collecting:
            gc.enable()
    return pd.DataFrame.from_records(records, index=frame.index)


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
