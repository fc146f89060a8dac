"""Buyer messages: render a template from content/messages/ in the buyer's language.

Why a sandbox and strict undefined: the values come from order exports and staff typing,
so a buyer called ``{{ 7*7 }}`` must come out as those characters, and a forgotten value
must stop the message instead of sending "Hi ," to a buyer. Money and dates go through
Babel so each buyer reads them the way their country writes them.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from .content import Content, MessageTemplate, TemplateVariable, load_content
from .errors import PlaybookError
from .policy import Finding, check_policy  # re-exported: messages.check_policy

__all__ = [
    "Composition", "Finding", "LanguageFallbackWarning", "Message", "MessageError",
    "catalogue", "check_policy", "compose", "draft", "drafts_for", "render",
    "template_problems", "values_from_order",
]  # fmt: skip


class MessageError(PlaybookError, ValueError):
    """A template cannot be rendered with these values (names the template and variable)."""


class LanguageFallbackWarning(UserWarning):
    """The template has no body in the asked language; English was used instead."""


@dataclass(frozen=True)
class Message:
    """A rendered message, ready to paste into the marketplace chat."""

    template: str
    language: str
    subject: str
    body: str
    locale: str
    requested_language: str
    warnings: tuple[str, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def fell_back(self) -> bool:
        return self.language != self.requested_language

    def __str__(self) -> str:
        return self.body

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "language": self.language,
            "requested_language": self.requested_language,
            "locale": self.locale,
            "subject": self.subject,
            "body": self.body,
            "warnings": list(self.warnings),
        }

    def _repr_html_(self) -> str:
        warn = "".join(f"<p style='color:#a15c00'>⚠ {html.escape(w)}</p>" for w in self.warnings)
        return (
            f"<div style='border:1px solid #ccc;border-radius:6px;padding:8px;max-width:40em'>"
            f"<div style='color:#666;font-size:90%'>{html.escape(self.template)} · "
            f"{html.escape(self.language)} ({html.escape(self.locale)})</div>"
            f"<b>{html.escape(self.subject)}</b>{warn}"
            f"<pre style='white-space:pre-wrap;font-family:inherit'>{html.escape(self.body)}</pre>"
            "</div>"
        )


# ------------------------------------------------------------------------ values


def _is_missing(value: Any) -> bool:
    """None, NaN, or pandas' NA/NaT (checked only when pandas is already loaded)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    pd = sys.modules.get("pandas")
    if pd is not None and not isinstance(value, str | list | dict | tuple):
        try:
            return bool(pd.isna(value))
        except (TypeError, ValueError):
            return False
    return False


def _number(template: str, name: str, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise MessageError(f"template {template!r}: {name} must be a number, got {value!r}")
    amount = getattr(value, "amount", value)  # a money-like object
    try:
        number = (
            Decimal(str(amount).strip().replace(",", "."))
            if isinstance(amount, str)
            else Decimal(str(amount))
        )
    except (InvalidOperation, ValueError):
        raise MessageError(
            f"template {template!r}: {name} must be a number, got {value!r}"
        ) from None
    if not number.is_finite():
        raise MessageError(f"template {template!r}: {name} must be a number, got {value!r}")
    return number


def _date(template: str, name: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise MessageError(
            f"template {template!r}: {name} must be a date (YYYY-MM-DD), got {value!r}"
        ) from None


@lru_cache(maxsize=64)
def _locale(code: str) -> Any:
    """Babel's Locale, parsed once per code (parsing costs more than formatting)."""
    from babel import Locale

    return Locale.parse(code)


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def _prepare(
    template: MessageTemplate,
    values: Mapping[str, Any],
    locale: str,
    fill_in: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Check the values against the declared variables and format each for the locale.

    Names in ``fill_in`` (a draft's missing values) show as a visible ⟨name⟩ to finish.
    """
    unknown = sorted(set(values) - set(template.variables))
    if unknown:
        raise MessageError(
            f"template {template.id!r}: unknown variable(s) {unknown}; it takes "
            f"{sorted(template.variables)}"
        )
    given = {k: v for k, v in values.items() if not _is_missing(v)}
    missing = [
        f"{name} ({var.type}, e.g. {var.example!r})"
        for name, var in template.variables.items()
        if var.required
        and name not in fill_in
        and (name not in given or str(given[name]).strip() == "")
    ]
    if missing:
        raise MessageError(f"template {template.id!r}: missing value for {', '.join(missing)}")
    currency = None
    for name, var in template.variables.items():
        if var.type == "currency" and name in given:
            currency = str(given[name]).strip().upper()
            if currency not in _currencies():
                raise MessageError(
                    f"template {template.id!r}: {name} {given[name]!r} is not a currency code"
                )
    out: dict[str, Any] = {}
    for name, var in template.variables.items():
        value = given.get(name)
        if name in fill_in and value is None:
            out[name] = FILL_IN.format(name=name)
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            out[name] = None
            continue
        out[name] = _format(template, name, var, value, _locale(locale), currency)
    return out


def _format(
    template: MessageTemplate,
    name: str,
    var: TemplateVariable,
    value: Any,
    locale: Any,
    currency: str | None,
) -> Any:
    from babel.dates import format_date
    from babel.numbers import format_currency

    if var.type == "text":
        return " ".join(str(value).split())  # one line: a pasted name cannot break the layout
    if var.type == "integer":
        number = _number(template.id, name, value)
        if number != number.to_integral_value():
            raise MessageError(
                f"template {template.id!r}: {name} must be a whole number, got {value!r}"
            )
        return int(number)
    if var.type == "money":
        number = _number(template.id, name, value)
        code = getattr(value, "currency", None) or currency
        if not code:
            raise MessageError(f"template {template.id!r}: {name} needs a currency")
        return format_currency(number, code, locale=locale)
    if var.type == "date":
        return format_date(_date(template.id, name, value), format="long", locale=locale)
    return str(value).strip().upper()  # currency


# ------------------------------------------------------------------------ rendering


def _plural(count: Any, one: str, other: str, few: str | None = None,
            many: str | None = None, two: str | None = None, *, locale: str) -> str:  # fmt: skip
    """The word form CLDR's plural rules pick for ``count`` in the locale (Babel's data)."""
    try:
        number = Decimal(str(count))
    except (InvalidOperation, ValueError):
        return other
    category = _locale(locale).plural_form(number)
    return {"one": one, "two": two, "few": few, "many": many}.get(category) or other


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    return env


@lru_cache(maxsize=2048)
def _compiled(source: str) -> Any:
    return _environment().from_string(source)


_SEPARATOR = "\n\x1e\n"  # ASCII record separator: never in a message
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING = re.compile(r"[ \t]+\n")
_LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


def _tidy(text: str) -> str:
    """No trailing spaces, at most one blank line in a row (left by skipped {% if %} lines)."""
    if " \n" in text or "\t\n" in text:
        text = _TRAILING.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def resolve_language(
    template: MessageTemplate, lang: str | None
) -> tuple[str, str, tuple[str, ...]]:
    """(language used, language asked, warnings): English when the template lacks ``lang``."""
    asked = (lang or "en").strip().lower().replace("_", "-").split("-")[0] or "en"
    if asked in template.languages:
        return asked, asked, ()
    note = (
        f"template {template.id!r} has no {asked!r} text: the English one is used — "
        f"translate it before sending to a buyer who reads {asked!r}"
    )
    return "en", asked, (note,)


def get_template(template_id: str, content: Content | None = None) -> MessageTemplate:
    content = content or load_content()
    try:
        return content.templates[template_id]
    except KeyError:
        known = ", ".join(sorted(content.templates))
        raise MessageError(f"no template {template_id!r}; the templates are: {known}") from None


def render(
    template_id: str,
    lang: str | None = "en",
    *,
    order: Mapping[str, Any] | None = None,
    locale: str | None = None,
    content: Content | None = None,
    _fill_in: frozenset[str] = frozenset(),
    **values: Any,
) -> Message:
    """Render one template in the buyer's language.

    ``order`` (an orders-table row: dict or pandas Series) supplies buyer_name, order_id,
    tracking_no, carrier, currency and order_value, and its country picks the locale;
    keyword values override it. A language the template lacks falls back to English with
    a LanguageFallbackWarning and a note in ``Message.warnings``.
    """
    content = content or load_content()
    template = get_template(template_id, content)
    if order is not None:
        values = {**values_from_order(template, order), **values}
        lang = lang or _order_language(order, content)
    language, asked, notes = resolve_language(template, lang)
    if notes:
        warnings.warn(notes[0], LanguageFallbackWarning, stacklevel=2)
    locale = locale or _locale_for(language, order, content)
    prepared = _prepare(template, values, locale, _fill_in)
    text = template.languages[language]
    env_values = {**prepared, "plural": lambda n, *forms, **kw: _plural(n, *forms, **kw,
                                                                        locale=locale)}  # fmt: skip
    try:  # subject and body in one pass: one template context instead of two
        both = _compiled(f"{text.subject}{_SEPARATOR}{text.body}").render(env_values)
        subject, _, body = both.partition(_SEPARATOR)
        subject, body = _tidy(subject), _tidy(body)
    except Exception as exc:  # a template bug: name the template and language
        from jinja2 import TemplateError

        if isinstance(exc, TemplateError | TypeError):
            raise MessageError(
                f"template {template.id!r} ({language}) cannot be rendered: {exc}"
            ) from None
        raise
    if _fill_in:
        notes = (*notes, f"fill in before sending: {', '.join(sorted(_fill_in))}")
    return Message(
        template=template.id,
        language=language,
        subject=subject,
        body=body,
        locale=locale,
        requested_language=asked,
        warnings=notes,
        values=prepared,
    )


def draft(
    template_id: str,
    order: Mapping[str, Any],
    *,
    lang: str | None = None,
    content: Content | None = None,
    **values: Any,
) -> Message:
    """A message for one order that staff finish before sending (the to-do list's drafts).

    Values come from ``values``, then the order, then each variable's declared default;
    a required value still missing shows as ⟨name⟩ and is listed in ``warnings``. Values
    the template does not take are left out, so one set of values can serve every step.
    """
    content = content or load_content()
    template = get_template(template_id, content)
    values = {k: v for k, v in values.items() if k in template.variables}
    known = {**values_from_order(template, order), **values}
    defaults = {
        name: var.default
        for name, var in template.variables.items()
        if var.default is not None and _is_missing(known.get(name))
    }
    known.update(defaults)
    missing = frozenset(
        name
        for name, var in template.variables.items()
        if var.required and _is_missing(known.get(name))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LanguageFallbackWarning)  # kept in .warnings
        return render(
            template_id,
            lang or _order_language(order, content),
            order=order,
            content=content,
            _fill_in=missing,
            **{k: v for k, v in known.items() if not _is_missing(v)},
        )


# ------------------------------------------------------------------------ orders

FILL_IN = "⟨{name}⟩"  # not template syntax, and impossible to overlook in a chat box


# variable name → the orders-table column that supplies it
ORDER_FIELDS = {
    "buyer_name": "buyer_name",
    "order_id": "order_id",
    "tracking_no": "tracking_no",
    "carrier": "carrier",
    "currency": "currency",
    "order_value": "order_value",
}


def values_from_order(template: MessageTemplate, order: Mapping[str, Any]) -> dict[str, Any]:
    """The template's values an order row holds (only those the template declares)."""
    row = order.to_dict() if hasattr(order, "to_dict") else dict(order)
    out = {}
    for name, column in ORDER_FIELDS.items():
        if name in template.variables and not _is_missing(row.get(column)):
            out[name] = row[column]
    return out


def _order_language(order: Mapping[str, Any], content: Content) -> str:
    lang = order.get("buyer_lang")
    if isinstance(lang, str) and lang.strip():
        return lang.strip().lower()
    country = order.get("buyer_country")
    return content.locales.for_country(country if isinstance(country, str) else None).lang


def _locale_for(language: str, order: Mapping[str, Any] | None, content: Content) -> str:
    """The order country's locale when it speaks this language, else the language's own."""
    if order is not None:
        country = order.get("buyer_country")
        if isinstance(country, str):
            entry = content.locales.countries.get(country.strip().upper())
            if entry is not None and entry.lang == language:
                return entry.locale
    return content.locales.languages.get(language, content.locales.languages["en"])


# ------------------------------------------------------------------------ the library


def catalogue(
    lang: str | None = None, *, staff_lang: str = "en", content: Content | None = None
) -> list[dict[str, Any]]:
    """Every template: id, what it serves, purpose (staff language), languages, variables.

    ``variables`` maps each name to an example value :func:`render` accepts. With ``lang``
    only the templates written in that buyer language are listed.
    """
    content = content or load_content()
    staff = "zh" if staff_lang == "zh" else "en"
    rows = []
    for template in sorted(content.templates.values(), key=_library_order(content)):
        if lang and lang not in template.languages:
            continue
        rows.append(
            {
                "id": template.id,
                "serves": f"{template.serves.kind}:{template.serves.target}",
                "purpose": template.purpose(staff),
                "languages": list(template.languages),
                "variables": template.example_values,
            }
        )
    return rows


def _library_order(content: Content) -> Any:
    """Shipping steps in SOP order, then resolutions in contract order, then the rest."""
    from . import ids

    def key(template: MessageTemplate) -> tuple[int, int, str]:
        serves = template.serves
        if serves.step:
            return (0, ids.STEP_IDS.index(serves.step), template.id)
        if serves.resolution:
            return (1, ids.RESOLUTION_IDS.index(serves.resolution), template.id)
        return (2, 0, template.id)

    return key


def template_problems(content: Content | None = None) -> list[str]:
    """What ``playbook validate`` checks beyond the file format, for every template.

    Each language renders with the example values (with and without optional values),
    uses exactly the declared variables, the same ones in every language, leaks no
    placeholder syntax, and passes the message policy check.
    """
    from jinja2 import TemplateSyntaxError, meta

    content = content or load_content()
    problems: list[str] = []
    for template in content.templates.values():
        where = f"messages/{template.id}.yaml"
        declared = {n for n, v in template.variables.items() if v.type != "currency"}
        used_by_lang: dict[str, set[str]] = {}
        for lang, text in template.languages.items():
            used: set[str] = set()
            for part in ("subject", "body"):
                try:
                    ast = _environment().parse(getattr(text, part))
                except TemplateSyntaxError as exc:
                    problems.append(
                        f"{where} → languages.{lang}.{part}: line {exc.lineno}: {exc.message}"
                    )
                    continue
                used |= meta.find_undeclared_variables(ast) - {"plural"}
            used_by_lang[lang] = used
            undeclared = sorted(used - set(template.variables))
            unused = sorted(declared - used)
            if undeclared:
                problems.append(
                    f"{where} → languages.{lang}: uses {undeclared}, not declared in variables"
                )
            if unused:
                problems.append(f"{where} → languages.{lang}: never uses declared {unused}")
        if len({frozenset(u) for u in used_by_lang.values()}) > 1:
            problems.append(f"{where} → languages: the placeholders differ between languages")
        if any(p.startswith(where) for p in problems):
            continue
        optional = {n: None for n, v in template.variables.items() if not v.required}
        for lang in template.languages:
            for values in (template.example_values, {**template.example_values, **optional}):
                try:
                    message = render(template.id, lang, content=content, **values)
                except MessageError as exc:
                    problems.append(f"{where} → languages.{lang}: {exc}")
                    break
                for part in ("subject", "body"):
                    leak = _LEFTOVER.search(getattr(message, part))
                    if leak:
                        problems.append(
                            f"{where} → languages.{lang}.{part}: placeholder syntax "
                            f"{leak.group(0)!r} left in the message"
                        )
                for finding in check_policy(f"{message.subject}\n{message.body}", lang=lang):
                    problems.append(
                        f"{where} → languages.{lang}: breaks policy {finding.rule} "
                        f"at {finding.span!r}"
                    )
    return problems


def orders_by_id(orders: Any) -> dict[str, dict[str, Any]]:
    """An orders table (or None) as order id → row, for pickers and drafts."""
    if orders is None:
        return {}
    return {str(row["order_id"]): row for row in orders.to_dict(orient="records")}


def drafts_for(
    todo_table: Any, orders: Any, *, content: Content | None = None
) -> list[Message | None]:
    """The draft message of each row of a to-do table (None where the step sends none).

    ``todo_table`` is :func:`playbook.checklist.todo` output (order_id, template,
    buyer_lang); ``orders`` the orders it was made from.
    """
    content = content or load_content()
    by_id = orders_by_id(orders)
    out: list[Message | None] = []
    for order_id, template, lang in zip(
        todo_table["order_id"], todo_table["template"], todo_table["buyer_lang"], strict=True
    ):
        order = by_id.get(str(order_id))
        if _is_missing(template) or order is None:
            out.append(None)
            continue
        out.append(draft(str(template), order, lang=lang, content=content))
    return out


@dataclass(frozen=True)
class Composition:
    """What the composer shows: the message (or why it cannot be made) and its policy check."""

    message: Message | None
    error: str | None
    findings: tuple[Any, ...]

    def __repr__(self) -> str:
        if self.message is None:
            return f"✗ {self.error}"
        verdict = (
            "\n".join(f"✗ {f.rule}: {f.span!r}" for f in self.findings) or "✓ policy check passed"
        )
        notes = "".join(f"⚠ {w}\n" for w in self.message.warnings)
        return f"{notes}{self.message.subject}\n\n{self.message.body}\n\n{verdict}"

    def _repr_html_(self) -> str:
        if self.message is None:
            return f"<p style='color:#c62828'>✗ {html.escape(self.error or '')}</p>"
        checks = "".join(
            f"<li><b>{html.escape(f.rule)}</b>: “{html.escape(f.span)}” — "
            f"{html.escape(f.suggestion)}</li>"
            for f in self.findings
        )
        verdict = (
            f"<p style='color:#c62828'>✗ policy</p><ul>{checks}</ul>"
            if self.findings
            else "<p style='color:#2e7d32'>✓ policy check passed</p>"
        )
        return self.message._repr_html_() + verdict


def compose(
    template_id: str,
    lang: str | None,
    order: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    *,
    content: Content | None = None,
) -> Composition:
    """Draft a message for the composer: never raises on what staff typed, explains instead.

    Empty boxes count as not given; with an order, what is still missing shows as ⟨name⟩.
    """
    given = {k: v for k, v in (values or {}).items() if not (isinstance(v, str) and not v.strip())}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LanguageFallbackWarning)
            if order is not None:
                message = draft(template_id, order, lang=lang, content=content, **given)
            else:
                message = render(template_id, lang, content=content, **given)
    except MessageError as exc:
        return Composition(None, str(exc), ())
    findings = tuple(check_policy(f"{message.subject}\n{message.body}", lang=message.language))
    return Composition(message, None, findings)
