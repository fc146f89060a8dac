"""Check a seller's outgoing chat message against the marketplace's message policy.

Four rules, ids fixed by the contract (``ids.POLICY_RULE_IDS``):

- ``review_incentive``: something of value offered in exchange for a review (incentive and
  review term in one sentence, a review request followed by "then …"/"in return" and an
  incentive, or a review request with "first"/"what if" next to a sentence with an incentive);
- ``off_platform``: contact details (e-mail, phone, link, @handle) always; messenger and
  payment names unless the sentence refuses or warns against them;
- ``blames_buyer``: a weighted score per sentence over cue classes (explicit blame, reproach,
  scolding imperatives, the buyer's own action, sarcasm, rhetorical questions, and a denial
  such as "not a defect" anywhere in the message) minus dampers ("sorry", "no worries"),
  flagged when it reaches the language's threshold;
- ``false_promise``: a certainty ("guaranteed", "100%") tied to delivery or customs, or an
  exact date/weekday/"tomorrow" tied to arrival, unless the sentence hedges.

All vocabulary lives in ``content/policy/<lang>.yaml`` (trainer phrase syntax, see
:mod:`playbook.phrases`) and ``content/policy/common.yaml`` (patterns for contact details,
the staff-facing explanations and suggestions). Patterns are compiled once per folder.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator

from . import ids
from .blame_model import MODEL_FILE, BlameModel, load_blame_model
from .content import CONTENT_DIR, Bilingual, _Strict, validate_file
from .errors import ContentError
from .phrases import CJK_CHARS, compile_phrase, normalise

POLICY_DIR = CONTENT_DIR / "policy"
COMMON_FILE = "common.yaml"


# ------------------------------------------------------------------------ the data


def _phrase(value: str) -> str:
    try:
        compile_phrase(value)
    except ValueError as exc:
        raise ValueError(f"{value!r}: {exc}") from None
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression ({exc})") from None
    return value


Phrase = Annotated[str, Field(min_length=1), AfterValidator(_phrase)]
Regex = Annotated[str, Field(min_length=1), AfterValidator(_regex)]


class RuleText(_Strict):
    label: Bilingual
    explanation: Bilingual
    suggestion: Bilingual


class PhonePatterns(_Strict):
    international: list[Regex] = Field(min_length=1)
    local: list[Regex] = Field(default_factory=list)
    # a digit run right after one of these words is a phone number ("call 0612345678")
    words: list[Phrase] = Field(default_factory=list)
    min_digits: int = Field(7, ge=4)
    max_digits: int = Field(15, ge=4)


class ContactPatterns(_Strict):
    email: Regex
    email_at: list[str] = Field(min_length=1)  # "at" spelled out: at, arroba, собака, 艾特
    email_dot: list[str] = Field(min_length=1)  # "dot" spelled out: dot, punto, точка, 点
    tlds: list[str] = Field(min_length=1)
    url: list[Regex] = Field(min_length=1)
    handle: Regex
    allowed_domains: list[str] = Field(min_length=1)  # a host with one of these labels is fine
    phone: PhonePatterns
    # words that introduce a tracking or order number: digits after them are no phone
    record_words: list[Phrase] = Field(default_factory=list)


class CommonPolicy(_Strict):
    """content/policy/common.yaml: language-independent patterns and the staff texts."""

    max_chars: int = Field(gt=0)
    rules: dict[str, RuleText]
    contact: ContactPatterns
    channels: list[Phrase] = Field(min_length=1)  # messenger, payment, other-shop names
    money: list[Regex] = Field(default_factory=list)  # an amount of money counts as an incentive
    certainty: list[Phrase] = Field(default_factory=list)  # "100%" in any language
    dates: list[Regex] = Field(default_factory=list)  # numeric dates (15/03, 15.03.)

    @field_validator("rules")
    @classmethod
    def _contract_ids(cls, value: dict[str, RuleText]) -> dict[str, RuleText]:
        missing = [r for r in ids.POLICY_RULE_IDS if r not in value]
        unknown = [r for r in value if r not in ids.POLICY_RULE_IDS]
        if missing or unknown:
            raise ValueError(
                f"missing {missing}, unknown {unknown}; the contract's: {list(ids.POLICY_RULE_IDS)}"
            )
        return value


class ReviewLexicon(_Strict):
    incentives: list[Phrase] = Field(min_length=1)
    reviews: list[Phrase] = Field(min_length=1)
    # uses of a review word that are no review ("we will review the photos")
    not_reviews: list[Phrase] = Field(default_factory=list)
    # a sentence starting with one of these continues the previous one ("Then we refund …")
    links_next: list[Phrase] = Field(default_factory=list)
    # the offer does not depend on the review ("regardless", "no conditions")
    independent: list[Phrase] = Field(default_factory=list)
    # a condition put on the review ("as soon as the rating is gone"): an incentive in the
    # sentence before or after is the price of it
    conditions: list[Phrase] = Field(default_factory=list)
    # "in return", "in exchange" anywhere in the sentence after a review request
    exchange: list[Phrase] = Field(default_factory=list)
    # a review request that sets an order or makes a proposal ("update the rating first",
    # "what if you remove the review?"): an incentive in the sentence before or after is its price
    sequencing: list[Phrase] = Field(default_factory=list)
    # a change of "it" on a condition ("if you change it", "bump it to 5"): with an incentive
    # in its sentence, a review named in the two sentences before is what is being paid for
    revisions: list[Phrase] = Field(default_factory=list)


class OffPlatformLexicon(_Strict):
    channels: list[Phrase] = Field(
        default_factory=list
    )  # this language's names and spellings ("zap", "ватсап")
    requests: list[Phrase] = Field(
        default_factory=list
    )  # "bank transfer", "add me on", "send money directly"
    refusals: list[Phrase] = Field(min_length=1)  # "cannot", "not allowed", "never pay"


class BlameCue(_Strict):
    """One cue class of blames_buyer: its weight in a sentence's score and its phrases."""

    # what one sentence with this cue adds to the score; negative for dampers ("sorry")
    weight: float = Field(ge=-10, le=10)
    # a negation right before the cue in its clause cancels it ("it is NOT your fault")
    negatable: bool = False
    # "message": the cue also counts in every other sentence of the message that holds a
    # cue, wherever it stands ("It is not a defect." + "You plugged it into 220 V.")
    scope: Literal["sentence", "message"] = "sentence"
    phrases: list[Phrase] = Field(min_length=1)

    @field_validator("weight")
    @classmethod
    def _not_zero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("a weight of 0 does nothing; remove the class or give it a weight")
        return value


class BlameLexicon(_Strict):
    """A sentence is flagged when the weights of the cue classes it holds reach ``threshold``.

    Each class counts once per sentence, however many of its phrases the sentence holds.
    """

    threshold: float = Field(1.0, gt=0)
    cues: dict[str, BlameCue] = Field(min_length=1)
    innocent: list[Phrase] = Field(
        default_factory=list
    )  # overrides: "not your fault", "you are right" (a cue overlapping one does not count)

    @field_validator("cues")
    @classmethod
    def _reachable(cls, value: dict[str, BlameCue]) -> dict[str, BlameCue]:
        if not any(c.weight > 0 for c in value.values()):
            raise ValueError("no cue class has a positive weight: nothing could ever be flagged")
        bad = [name for name in value if not re.fullmatch(r"[a-z][a-z0-9_]*", name)]
        if bad:
            raise ValueError(f"class names must be lower-case identifiers: {bad}")
        return value


class PromiseLexicon(_Strict):
    certainty: list[Phrase] = Field(min_length=1)
    delivery: list[Phrase] = Field(min_length=1)  # arrival, delivery, customs, taxes
    dates: list[Phrase] = Field(default_factory=list)  # exact dates, weekdays, "tomorrow"
    durations: list[Phrase] = Field(default_factory=list)  # "in 7 days"
    hedges: list[Phrase] = Field(
        default_factory=list
    )  # "usually", "estimated", "we cannot promise", "if"
    seller_actions: list[Phrase] = Field(
        default_factory=list
    )  # "we ship", "we reply": promises the seller keeps
    # hedges that count only in the promise's own clause ("if", "unless"): "if you pay by
    # express, I guarantee it arrives Friday" still promises
    clause_hedges: list[Phrase] = Field(default_factory=list)


class PolicyLexicon(_Strict):
    """content/policy/<lang>.yaml: one language's vocabulary for the four rules."""

    lang: str = Field(min_length=2, max_length=2)
    detect: list[str] = Field(min_length=1)  # function words that tell the language
    detect_chars: str = ""  # letters only this language uses (ñ, ß), before normalising
    negations: list[Phrase] = Field(min_length=1)
    negation_window: int = Field(3, ge=0, le=10)
    review_incentive: ReviewLexicon
    off_platform: OffPlatformLexicon
    blames_buyer: BlameLexicon
    false_promise: PromiseLexicon

    @field_validator("detect", mode="before")
    @classmethod
    def _words_not_booleans(cls, value: Any) -> Any:
        if isinstance(value, list):
            for number, item in enumerate(value):
                if not isinstance(item, str):
                    raise ValueError(
                        f"item {number}: YAML read this word as {item!r}; put it in quotes"
                    )
        return value


# ------------------------------------------------------------------------ compiled


# a compiled phrase that can only start where a word starts: its leading letters followed by
# the word-start check compile_phrase puts after them, or a leading "(?<!\w)"
_WORD_START = re.compile(rf"(?:[^\W_{CJK_CHARS}]+\(\?<!\\w\.\{{\d+\}}\)|\(\?<!\\w\))")


def _alternation(sources: Iterable[str]) -> re.Pattern | None:
    """One pattern for many sources; those that start at a word start share one check.

    The regex engine tries every alternative at every position; one shared "no word
    character before" check in front of the word-start alternatives lets it skip the
    positions inside words at once (several times faster on long lists).
    """
    gated, other = [], []
    for source in dict.fromkeys(sources):
        (gated if _WORD_START.match(source) else other).append(f"(?:{source})")
    parts = ([rf"(?<!\w)(?:{'|'.join(gated)})"] if gated else []) + other
    return re.compile("|".join(parts)) if parts else None


def _phrases(phrases: Iterable[str]) -> re.Pattern | None:
    return _alternation(compile_phrase(p) for p in phrases)


class _Language:
    """One language's compiled patterns (its file plus the common names)."""

    def __init__(self, lex: PolicyLexicon, common: CommonPolicy):
        self.lang = lex.lang
        self.window = lex.negation_window
        self.negation = _phrases(lex.negations)
        r, o, b, p = lex.review_incentive, lex.off_platform, lex.blames_buyer, lex.false_promise
        self.incentive = _alternation(
            [compile_phrase(x) for x in r.incentives] + list(common.money)
        )
        self.review = _phrases(r.reviews)
        self.not_review = _phrases(r.not_reviews)
        self.link_next = _alternation(rf"^\W*(?:{compile_phrase(x)})" for x in r.links_next)
        self.independent = _phrases(r.independent)
        self.condition = _phrases(r.conditions)
        self.exchange = _phrases(r.exchange)
        self.sequencing = _phrases(r.sequencing)
        self.revision = _phrases(r.revisions)
        self.channel = _phrases([*common.channels, *o.channels, *o.requests])
        self.refusal = _phrases(o.refusals)
        self.blame_threshold = b.threshold
        cues = [
            (c.weight, c.negatable, c.scope == "message", _phrases(c.phrases))
            for c in b.cues.values()
        ]
        self.blame_positive = [c for c in cues if c[0] > 0]
        self.blame_negative = [c for c in cues if c[0] < 0]
        self.innocent = _phrases(b.innocent)
        self.certainty = _phrases([*common.certainty, *p.certainty])
        self.delivery = _phrases(p.delivery)
        self.date = _alternation([compile_phrase(x) for x in p.dates] + list(common.dates))
        self.duration = _phrases(p.durations)
        self.hedge = _phrases(p.hedges)
        self.seller_action = _phrases(p.seller_actions)
        self.clause_hedge = _phrases(p.clause_hedges)


def _words(items: Iterable[str]) -> str:
    return "|".join(re.escape(normalise(w)) for w in sorted(items, key=len, reverse=True))


class Policy:
    """The validated, compiled policy content of one folder."""

    def __init__(
        self,
        directory: Path,
        common: CommonPolicy,
        lexicons: dict[str, PolicyLexicon],
        blame_model: BlameModel | None = None,
    ):
        self.directory = directory
        self.common = common
        self.lexicons = lexicons
        # a learned second opinion on blames_buyer (blame_model.json), None for rules only
        self.blame_model = blame_model
        self.languages = {lang: _Language(lex, common) for lang, lex in lexicons.items()}
        c = common.contact
        tlds = _words(c.tlds)
        at, dot = _words(c.email_at), _words(c.email_dot)
        bracket_at = rf"[\s(\[]*(?<![^\W\d_])(?:{at})(?![^\W\d_])[\s)\]]*"
        bracket_dot = rf"(?:[\s(\[]*(?<![^\W\d_])(?:{dot})(?![^\W\d_])[\s)\]]*|\.)"
        spelled = (
            rf"(?<![\w.+-])\w[\w.+-]{{0,63}}?{bracket_at}[\w-]{{1,63}}{bracket_dot}"
            rf"(?:{tlds})(?!\w)"
        )
        domain = rf"(?<![\w@.-])(?:[a-z0-9][a-z0-9-]{{0,62}}\.){{1,5}}(?:{tlds})(?![\w-])[^\s]*"
        self.contact = re.compile(
            "|".join(f"(?:{s})" for s in [c.email, spelled, *c.url, domain, c.handle])
        )
        self.allowed = {normalise(d) for d in c.allowed_domains}
        self.phone_intl = _alternation(c.phone.international)
        self.phone_local = _alternation(c.phone.local)
        words = _phrases(c.phone.words)
        self.phone_after_word = (
            re.compile(rf"(?:{words.pattern})[^\d\n]{{0,15}}(\d[\d\s().-]{{5,24}}\d)")
            if words
            else None
        )
        self.record = _phrases(c.record_words)
        self.texts = common.rules

    def __repr__(self) -> str:
        return f"<Policy from {self.directory} · {sorted(self.lexicons)}>"


def load_policy(directory: str | Path | None = None) -> Policy:
    """Load, validate and compile a policy folder (the package's own when None, cached).

    Raises ContentError listing every problem, each naming file → entry → field.
    """
    if directory is None:
        return _default_policy()
    return _load(Path(directory))


@functools.cache
def _default_policy() -> Policy:
    return _load(POLICY_DIR)


def _load(directory: Path) -> Policy:
    if not directory.is_dir():
        raise ContentError([f"{directory}: not a folder"])
    problems: list[str] = []
    common, found = validate_file(directory / COMMON_FILE, CommonPolicy)
    problems.extend(found)
    lexicons: dict[str, PolicyLexicon] = {}
    paths = [p for p in sorted(directory.glob("*.yaml")) if p.name != COMMON_FILE]
    if not any(p.stem == "en" for p in paths):
        problems.append("en.yaml: file is missing (English is the fallback)")
    for path in paths:
        value, found = validate_file(path, PolicyLexicon)
        problems.extend(found)
        if value is not None:
            if value.lang != path.stem:
                problems.append(f"{path.name} → lang: says {value.lang!r}, expected {path.stem!r}")
            lexicons[path.stem] = value
    if problems:
        raise ContentError(problems)
    model = load_blame_model(directory / MODEL_FILE)
    try:
        return Policy(directory, common, lexicons, model)
    except re.error as exc:  # each pattern compiles alone; a combination that does not
        raise ContentError([f"{directory.name}: patterns do not combine ({exc})"]) from None


# ------------------------------------------------------------------------ findings


@dataclass(frozen=True)
class Finding:
    """One breach of a policy rule: where it is, why it matters and a safer wording."""

    rule: str
    start: int
    end: int
    span: str
    explanation: str
    explanation_zh: str
    suggestion: str
    suggestion_zh: str
    # "phrases": the lexicon's cues; "model": the learned blame model (no single phrase)
    source: str = "phrases"

    def __str__(self) -> str:
        return (
            f"[{self.rule}] {self.start}–{self.end} «{self.span}»: {self.explanation} "
            f"→ {self.suggestion}"
        )


_CJK = re.compile(f"[{CJK_CHARS}]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_WORD = re.compile(r"[^\W\d_]+")
# a sentence ends at . ! ? … (not a decimal point or "15.03.") and at Chinese stops
_SENTENCE_END = re.compile(r"(?<!\d)\.+(?=\s|$)|[!?…]+|[。！？\n]+|(?<!\d)\.(?=\s+[^\W\d_])")
# quoted speech in double or angle quotes (single quotes often mark sarcasm instead)
_QUOTED = re.compile(
    r'«[^»\n]{1,120}»|“[^”\n]{1,120}”|„[^“”\n]{1,120}[“”]|"[^"\n]{1,120}"|「[^」\n]{1,120}」'
)
_CLAUSE_END = re.compile(r"[,;:()\u2014\u2013，；：、（）]|\s-\s")


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    return normalise(char)


class _CharFold(dict):
    """A str.translate table folding each character alone (filled as characters are met)."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_CHAR_FOLD = _CharFold()


def _normalise_mapped(text: str) -> tuple[str, list[int] | None]:
    """The normalised text and, when lengths differ, each normalised char's source index."""
    if text.isascii():
        return text.lower(), None
    norm = text.translate(_CHAR_FOLD)  # runs in C: the common case needs no Python loop
    if len(norm) == len(text):
        return norm, None
    where = []
    for index, char in enumerate(text):
        where.extend([index] * len(_fold_char(char)))
    return norm, where


def _spans(pattern: re.Pattern | None, text: str) -> list[tuple[int, int]]:
    if pattern is None:
        return []
    return [m.span() for m in pattern.finditer(text) if m.end() > m.start()]


def _sentences(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() > start:
            out.append((start, m.end()))
            start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


def _inside(spans: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    return [s for s in spans if s[0] >= lo and s[1] <= hi]


def _overlaps(spans: list[tuple[int, int]], lo: int, hi: int) -> bool:
    return any(s < hi and e > lo for s, e in spans)


def _clause_start(text: str, lo: int, at: int) -> int:
    last = lo
    for m in _CLAUSE_END.finditer(text, lo, at):
        last = m.end()
    return last


def _clause_end(text: str, at: int, hi: int) -> int:
    m = _CLAUSE_END.search(text, at, hi)
    return m.start() if m else hi


def _detect(policy: Policy, norm: str, raw: str) -> str:
    if not norm.isascii():
        cjk, cyrillic = len(_CJK.findall(norm)), len(_CYRILLIC.findall(norm))
        latin = len(_LATIN.findall(norm)) if cjk or cyrillic else 0
        if cjk and "zh" in policy.languages and cjk * 12 >= latin:
            return "zh"
        if cyrillic and cyrillic * 3 >= latin and "ru" in policy.languages:
            return "ru"
    scores = dict.fromkeys((lang for lang in policy.lexicons if lang not in ("zh", "ru")), 0.0)
    words = _detect_words(policy)
    for word in _WORD.findall(norm):
        for lang in words.get(word, ()):
            if lang in scores:
                scores[lang] += 1
    if not raw.isascii():
        lowered = raw.casefold()
        for lang in scores:
            chars = policy.lexicons[lang].detect_chars
            scores[lang] += 2 * sum(lowered.count(c) for c in chars)
    if not scores or max(scores.values()) == 0:
        return "en" if "en" in policy.languages else next(iter(policy.languages))
    return max(scores, key=lambda lang: (scores[lang], lang == "en"))


@functools.lru_cache(maxsize=8)
def _detect_words(policy: Policy) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for lang, lex in policy.lexicons.items():
        for word in {normalise(w) for w in lex.detect}:
            table.setdefault(word, []).append(lang)
    return {w: tuple(langs) for w, langs in table.items()}


class _Checker:
    """Runs the four rules over one normalised message."""

    def __init__(self, policy: Policy, lang: _Language, norm: str):
        self.policy, self.lang, self.text = policy, lang, norm
        self.sentences = _sentences(norm)
        self.found: list[tuple[str, int, int, str]] = []  # rule, start, end, source

    def add(self, rule: str, start: int, end: int, source: str = "phrases") -> None:
        self.found.append((rule, start, end, source))

    def sentence_of(self, pos: int) -> tuple[int, int]:
        for lo, hi in self.sentences:
            if lo <= pos < hi:
                return lo, hi
        return 0, len(self.text)

    # --- review_incentive
    def review_incentive(self) -> None:
        L, text = self.lang, self.text
        incentives, reviews = _spans(L.incentive, text), _spans(L.review, text)
        if not incentives or not reviews:
            return
        not_reviews = _spans(L.not_review, text)
        reviews = [(s, e) for s, e in reviews if not _overlaps(not_reviews, s, e)]
        independent = _spans(L.independent, text)
        conditions = _spans(L.condition, text)
        exchange = _spans(L.exchange, text)
        sequencing = _spans(L.sequencing, text)
        revisions = _spans(L.revision, text)
        sentences = self.sentences
        for number, (lo, hi) in enumerate(sentences):
            near_lo = sentences[max(number - 1, 0)][0]
            near_hi = sentences[min(number + 1, len(sentences) - 1)][1]
            if _overlaps(independent, near_lo, near_hi):
                continue
            inc, rev = _inside(incentives, lo, hi), _inside(reviews, lo, hi)
            if inc and rev:
                pair = [*inc[:1], *rev[:1]]
                self.add("review_incentive", min(s for s, _ in pair), max(e for _, e in pair))
                continue
            # "Please delete the review. Then we refund 50%."
            if rev and number + 1 < len(sentences) and L.link_next is not None:
                nlo, nhi = sentences[number + 1]
                nxt = _inside(incentives, nlo, nhi)
                if nxt and (L.link_next.search(text[nlo:nhi]) or _overlaps(exchange, nlo, nhi)):
                    self.add("review_incentive", rev[0][0], nxt[0][1])
                    continue
            # "The 3 stars hurt our shop… If you change it, the next item is free."
            if inc and number and _overlaps(revisions, lo, hi):
                before = _inside(reviews, sentences[max(number - 2, 0)][0], lo)
                if before:
                    self.add("review_incentive", before[0][0], inc[0][1])
                    continue
            # "Update the rating first. The refund follows." / "Want a coupon? Remove it first."
            if rev and _overlaps(sequencing, lo, hi):
                near = [
                    _inside(incentives, *sentences[other])
                    for other in (number + 1, number - 1)
                    if 0 <= other < len(sentences)
                ]
                near = [n for n in near if n]
                if near:
                    pair = [near[0][0], rev[0]]
                    self.add("review_incentive", min(s for s, _ in pair), max(e for _, e in pair))
                    continue
            # "Your refund is ready. It is released as soon as the rating is gone."
            if rev and conditions and self._conditioned(conditions, rev, lo, hi):
                for other in (number - 1, number + 1):
                    if 0 <= other < len(sentences):
                        near = _inside(incentives, *sentences[other])
                        if near:
                            pair = [near[0], rev[0]]
                            self.add(
                                "review_incentive",
                                min(s for s, _ in pair),
                                max(e for _, e in pair),
                            )
                            break

    def _conditioned(
        self, conditions: list[tuple[int, int]], reviews: list[tuple[int, int]], lo: int, hi: int
    ) -> bool:
        """A condition word before a review term in the same clause ("once the review …")."""
        for _cs, ce in _inside(conditions, lo, hi):
            end = _clause_end(self.text, ce, hi)
            if any(ce <= rs and re_ <= end and rs - ce <= 30 for rs, re_ in reviews):
                return True
        return False

    # --- off_platform
    def off_platform(self) -> None:
        P, L, text = self.policy, self.lang, self.text
        records = _spans(P.record, text)
        for m in P.contact.finditer(text):
            span = m.group(0).rstrip(".,;:!?)»\"'")
            if not span or self._allowed(span):
                continue
            self.add("off_platform", m.start(), m.start() + len(span))
        for m in P.phone_intl.finditer(text):
            if self._phone(m.group(0), m.start(), []):  # "+86 …" is never a record number
                self.add("off_platform", m.start(), m.end())
        for m in P.phone_local.finditer(text) if P.phone_local else ():
            if self._phone(m.group(0), m.start(), records):
                self.add("off_platform", m.start(), m.end())
        if P.phone_after_word is not None:
            for m in P.phone_after_word.finditer(text):
                if self._phone(m.group(1), m.start(1), records):
                    self.add("off_platform", m.start(), m.end(1))
        channels = _spans(L.channel, text)
        if _CJK.search(text):
            # "的PayPal", "加我WhatsApp": a Latin name right after a Chinese character
            blanked = _CJK.sub(" ", text)
            channels = sorted({*channels, *_spans(L.channel, blanked)})
        if channels:
            refusals = _spans(L.refusal, text)
            for start, end in channels:
                lo, hi = self.sentence_of(start)
                if not _overlaps(refusals, lo, hi) and not self._warned_after(refusals, hi):
                    self.add("off_platform", start, end)

    def _warned_after(self, refusals: list[tuple[int, int]], hi: int) -> bool:
        """A question about the name answered by a warning in the next two sentences
        ("Someone asked you to pay by PayPal? That's not us. Never pay outside the app.")."""
        if not self.text[:hi].rstrip().endswith(("?", "？")):
            return False
        after = [s for s in self.sentences if s[0] >= hi][:2]
        return bool(after) and _overlaps(refusals, after[0][0], after[-1][1])

    def _allowed(self, span: str) -> bool:
        host = re.sub(r"^[a-z]+://", "", span.lower()).split("/")[0]
        if "@" in span and not span.startswith("@"):
            return False
        labels = {label.strip() for label in host.split(".")}
        return bool(labels & self.policy.allowed)

    def _phone(self, number: str, start: int, records: list[tuple[int, int]]) -> bool:
        digits = sum(c.isdigit() for c in number)
        phone = self.policy.common.contact.phone
        if not phone.min_digits <= digits <= phone.max_digits:
            return False
        # "tracking number: 0612 3456 7890", "order 8613 …": a record, not a phone
        return not any(s < start and start - e <= 30 for s, e in records)

    # --- blames_buyer
    def blames_buyer(self, learned: bool = True) -> None:
        """Flag each sentence whose cue classes reach the threshold; where none does, ask the
        learned model (if the policy has one), unless the message holds an innocent phrase
        or a damper: "it's not your fault", "happy to help" mean the seller is being kind."""
        found = False
        for _, _, score, parts in self.blame_units():
            if parts and score >= self.lang.blame_threshold - 1e-9:
                self.add("blames_buyer", min(s for s, _ in parts), max(e for _, e in parts))
                found = True
        model = self.policy.blame_model
        if found or not learned or model is None or self._kind():
            return
        if model.probability(self.text) >= model.threshold:
            # the finding points at the sentence that reads most like blame
            lo, hi = max(
                self._blame_units(), key=lambda u: model.probability(self.text[u[0] : u[1]])
            )
            sentence = self.text[lo:hi]
            lo, hi = lo + len(sentence) - len(sentence.lstrip()), lo + len(sentence.rstrip())
            if hi <= lo:
                lo, hi = 0, len(self.text)
            self.add("blames_buyer", lo, hi, source="model")

    def _kind(self) -> bool:
        L = self.lang
        return any(
            p.search(self.text) for p in (L.innocent, *(c[-1] for c in L.blame_negative)) if p
        )

    def blame_units(self) -> list[tuple[int, int, float, list[tuple[int, int]]]]:
        """Each sentence's blame score over the cue classes, with the cue spans that count
        (empty when the message holds no positive cue)."""
        L, text = self.lang, self.text
        hits = []
        for weight, negatable, whole, pattern in L.blame_positive:
            spans = _spans(pattern, text)
            if spans:
                hits.append((weight, negatable, whole, spans))
        if not hits:
            return []  # most messages: no dampers or overrides to look for
        for weight, negatable, whole, pattern in L.blame_negative:
            spans = _spans(pattern, text)
            if spans:
                hits.append((weight, negatable, whole, spans))
        # the buyer's own words quoted back («shop of cheats») are no blame from the seller
        innocent = sorted([*_spans(L.innocent, text), *_spans(_QUOTED, text)])
        counted = [
            (w, whole, [s for s in spans if w < 0 or self._counts(s, negatable, innocent)])
            for w, negatable, whole, spans in hits
        ]
        units = []
        for lo, hi in self._blame_units():
            score, parts, context = 0.0, [], 0.0
            for weight, whole, spans in counted:
                inside = _inside(spans, lo, hi)
                if whole and weight > 0 and spans and not inside:
                    context += weight  # a message cue from another sentence: only adds
                elif inside:
                    score += weight
                    if weight > 0:
                        parts.append(inside[0])
            units.append((lo, hi, score + context if parts else score, parts))
        return units

    def _counts(
        self, span: tuple[int, int], negatable: bool, innocent: list[tuple[int, int]]
    ) -> bool:
        """A cue counts unless negated or overlapping an innocent phrase it does not contain
        ("not your fault" clears "your fault"; "of course it's our fault 😏" beats "our fault")."""
        s, e = span
        if negatable and self._negated(s):
            return False
        return not any(
            a < e and b > s and not (s <= a and b <= e and e - s > b - a) for a, b in innocent
        )

    def _blame_units(self) -> list[tuple[int, int]]:
        """The sentences; a tag of at most two words or only emoji ("Seriously?", "👏") joins
        the sentence before it, whose tone it sets."""
        units: list[tuple[int, int]] = []
        for lo, hi in self.sentences:
            words = _WORD.findall(self.text, lo, hi)
            # a run of Chinese characters is one "word": count two characters as one
            size = sum(max(len(w) // 2, 1) if _CJK.match(w) else 1 for w in words)
            if units and size <= 2:
                units[-1] = (units[-1][0], hi)
            else:
                units.append((lo, hi))
        return units

    def _negated(self, start: int) -> bool:
        L, text = self.lang, self.text
        if L.negation is None or L.window == 0:
            return False
        lo, _ = self.sentence_of(start)
        lo = _clause_start(text, lo, start)
        before = text[lo:start]
        if _CJK.search(before[-1:] or " "):
            tail = before[-(L.window + 2) :]
        else:
            words = list(re.finditer(r"[\w']+", before))
            tail = before[words[-L.window].start() :] if len(words) >= L.window else before
        return L.negation.search(tail) is not None

    # --- false_promise
    def false_promise(self) -> None:
        L, text = self.lang, self.text
        certain, dates = _spans(L.certainty, text), _spans(L.date, text)
        durations = _spans(L.duration, text) if certain else []
        if not certain and not dates:
            return
        delivery = _spans(L.delivery, text)
        if not delivery and not certain:
            return
        # a negated hedge is no hedge: "no delay possible", "sans retard", "不会延误"
        hedges = [h for h in _spans(L.hedge, text) if not self._negated(h[0])]
        actions = _spans(L.seller_action, text)
        clause_hedges = _spans(L.clause_hedge, text)
        for lo, hi in self.sentences:
            c, d, t = _inside(certain, lo, hi), _inside(delivery, lo, hi), _inside(dates, lo, hi)
            u = sorted(t + _inside(durations, lo, hi))
            if not (c or t) or _overlaps(hedges, lo, hi):
                continue
            parts: list[tuple[int, int]] = []
            if c and d:
                parts = [c[0], d[0]]
            elif c and u and not _overlaps(actions, lo, hi):
                parts = [c[0], u[0]]
            elif t and d:
                # an exact date tied to arrival in the same clause
                for ts, te in t:
                    clause, end = _clause_start(text, lo, ts), _clause_end(text, te, hi)
                    tied = [x for x in d if x[0] >= clause and x[1] <= end]
                    if tied and not _overlaps(actions, clause, end):
                        parts = [(ts, te), tied[0]]
                        break
            if parts and clause_hedges:
                start, end = min(s for s, _ in parts), max(e for _, e in parts)
                clause = _clause_start(text, lo, start), _clause_end(text, end, hi)
                if _overlaps(clause_hedges, *clause):
                    parts = []
            if parts:
                self.add("false_promise", min(s for s, _ in parts), max(e for _, e in parts))


def check_policy(
    text: str, lang: str | None = None, *, policy: Policy | None = None, learned: bool = True
) -> list[Finding]:
    """The policy findings of one seller message, in reading order.

    ``lang`` is the message's language when known (it is detected when None or unknown).
    ``policy`` is a folder loaded with :func:`load_policy` (a trainer's edited copy); the
    package's own when None. ``learned=False`` leaves out the learned blame model (the
    lexicon's phrases only). Never raises on any string: an empty or non-text message has
    no findings.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    return _check(policy or load_policy(), text, lang, learned)


def _check(policy: Policy, text: str, lang: str | None, learned: bool = True) -> list[Finding]:
    raw = text[: policy.common.max_chars]
    norm, where = _normalise_mapped(raw)
    code = lang if lang in policy.languages else _detect(policy, norm, raw)
    checker = _Checker(policy, policy.languages[code], norm)
    checker.review_incentive()
    checker.off_platform()
    checker.blames_buyer(learned)
    checker.false_promise()
    findings, seen = [], []
    order = {rule: n for n, rule in enumerate(ids.POLICY_RULE_IDS)}
    for rule, start, end, source in sorted(checker.found, key=lambda f: (f[1], order[f[0]], -f[2])):
        if any(r == rule and s < end and start < e for r, s, e in seen):
            continue  # one finding per stretch of text and rule
        seen.append((rule, start, end))
        if where is not None:
            start, end = where[start], where[end - 1] + 1
        t = policy.texts[rule]
        findings.append(
            Finding(
                rule=rule,
                start=start,
                end=end,
                span=raw[start:end],
                explanation=t.explanation.en,
                explanation_zh=t.explanation.zh,
                suggestion=t.suggestion.en,
                suggestion_zh=t.suggestion.zh,
                source=source,
            )
        )
    return findings


# ------------------------------------------------------------------------ evaluation


def evaluate_policy(cases: list[dict]) -> dict:
    """Precision, recall, F1 and support per rule, and message-level accuracy.

    ``cases`` are labelled messages ({"id", "lang", "text", "rules": [...]}), as in the
    JSON Lines files of tests/data/policy. ``errors`` lists the cases the checker got wrong.
    """
    counts = {rule: {"tp": 0, "fp": 0, "fn": 0} for rule in ids.POLICY_RULE_IDS}
    exact, errors = 0, []
    for case in cases:
        want = set(case.get("rules") or [])
        got = {f.rule for f in check_policy(str(case.get("text", "")), case.get("lang"))}
        for rule, c in counts.items():
            c["tp"] += rule in want and rule in got
            c["fp"] += rule in got and rule not in want
            c["fn"] += rule in want and rule not in got
        if want == got:
            exact += 1
        else:
            errors.append(
                {
                    "id": case.get("id"),
                    "expected": sorted(want),
                    "got": sorted(got),
                    "text": case.get("text"),
                }
            )
    rules = {}
    for rule, c in counts.items():
        tp, fp, fn = c["tp"], c["fp"], c["fn"]
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rules[rule] = {
            "precision": precision, "recall": recall, "f1": f1, "support": tp + fn,
            "tp": tp, "fp": fp, "fn": fn,
        }  # fmt: skip
    return {
        "rules": rules,
        "accuracy": exact / len(cases) if cases else 0.0,
        "cases": len(cases),
        "errors": errors,
    }


def format_policy_report(report: dict) -> str:
    """A small text table of :func:`evaluate_policy`'s figures."""
    lines = [f"{'rule':<18} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}"]
    for rule, r in report["rules"].items():
        lines.append(
            f"{rule:<18} {r['precision']:>9.3f} {r['recall']:>7.3f} {r['f1']:>6.3f} "
            f"{r['support']:>8d}"
        )
    lines.append(f"message accuracy {report['accuracy']:.3f} over {report['cases']} cases")
    return "\n".join(lines)
