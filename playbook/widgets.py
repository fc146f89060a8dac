"""Jupyter widgets for the lessons. Imported only when a widget is asked for.

Widgets only gather clicks and show results; every decision is a pure function in
``playbook.checklist`` (and friends), so notebooks can call the same functions headless.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as w
from IPython.display import Markdown, display

from .checklist import StepState, done_step_ids, order_steps, with_step_done
from .content import Content, load_content

STATUS_COLOURS: dict[str, str] = {
    "overdue": "#c62828",
    "due": "#ef6c00",
    "done": "#2e7d32",
    "not_yet": "#757575",
    "missed": "#6d4c41",
    "not_applicable": "#9e9e9e",
}


def status_badge(state: StepState, content: Content, lang: str) -> str:
    """A coloured status label and the reason, as HTML (all text escaped)."""
    colour = STATUS_COLOURS.get(state.status, "#757575")
    label = html.escape(content.checklist.statuses[state.status](lang))
    urgent = "⚠ " if state.urgent else ""
    return (
        f'<span style="background:{colour};color:white;border-radius:3px;padding:1px 6px;'
        f'font-size:90%">{urgent}{label}</span> '
        f'<span style="color:#424242">{html.escape(state.reason)}</span>'
    )


class ChecklistWidget(w.VBox):
    """The seven steps of one order as tick boxes; ticking re-computes every status.

    ``order`` is a mapping of the contract's columns; ``.order`` always holds the current
    state (with ``done_steps`` updated), so a notebook can read back what was ticked.
    """

    def __init__(
        self,
        order: Mapping[str, Any],
        today: Any = None,
        *,
        lang: str = "en",
        content: Content | None = None,
    ):
        self.content = content or load_content()
        self.today, self.lang = today, lang
        self.order: dict[str, Any] = dict(order)
        self._updating = False
        header = w.HTML(f"<b>{html.escape(str(self.order.get('order_id', '')))}</b>")
        self.boxes: dict[str, w.Checkbox] = {}
        self.labels: dict[str, w.HTML] = {}
        rows = [header]
        for number, step in enumerate(self.content.steps, start=1):
            box = w.Checkbox(
                description=f"{number}. {step.title(lang)}",
                indent=False,
                layout=w.Layout(width="360px"),
            )
            box.observe(self._on_toggle(step.id), names="value")
            self.boxes[step.id], self.labels[step.id] = box, w.HTML()
            rows.append(w.HBox([box, self.labels[step.id]]))
        super().__init__(rows)
        self.refresh()

    def _on_toggle(self, step_id: str) -> Callable[[dict], None]:
        def handler(change: dict) -> None:
            if not self._updating:
                self.tick(step_id, bool(change["new"]))

        return handler

    def tick(self, step_id: str, done: bool = True) -> list[StepState]:
        """Mark a step done (or not) and refresh; returns the new states."""
        self.order = with_step_done(self.order, step_id, done)
        return self.refresh()

    def states(self) -> list[StepState]:
        return order_steps(self.order, self.today, lang=self.lang, content=self.content)

    def refresh(self) -> list[StepState]:
        states = self.states()
        marked = done_step_ids(self.order)
        self._updating = True
        try:
            for state in states:
                # a box shows what staff ticked (or what the order's events prove), while the
                # label may still ask for more, e.g. the extension offer near the window's end
                self.boxes[state.step].value = state.step in marked or state.status == "done"
                self.labels[state.step].value = status_badge(state, self.content, self.lang)
        finally:
            self._updating = False
        return states


def language_switch(render: Callable[[str], str], lang: str = "en") -> w.VBox:
    """English / 中文 buttons over a Markdown text that ``render(lang)`` produces."""
    buttons = w.ToggleButtons(options=[("English", "en"), ("中文", "zh")], value=lang)
    out = w.Output()

    def show(new_lang: str) -> None:
        out.clear_output()
        with out:
            display(Markdown(render(new_lang)))

    buttons.observe(lambda change: show(change["new"]), names="value")
    show(lang)
    return w.VBox([buttons, out])


class TriageBox(w.VBox):
    """Paste a buyer message, pick an order, press Assess: the assessment card appears.

    The decision is :func:`playbook.triage.assess`; this only gathers input and shows it.
    """

    def __init__(
        self,
        orders: Any = None,
        *,
        text: str = "",
        lang: str = "en",
        content: Content | None = None,
    ):
        from .triage import assess

        self._assess = assess
        self.content = content or load_content()
        self.lang = lang
        self.orders = (
            {}
            if orders is None
            else {str(row["order_id"]): row for row in orders.to_dict(orient="records")}
        )
        no_order = "—" if lang == "en" else "（无订单）"
        self.message = w.Textarea(value=text, placeholder="buyer message…",
                                  layout=w.Layout(width="100%", height="80px"))  # fmt: skip
        self.order = w.Dropdown(options=[(no_order, "")] + [(k, k) for k in self.orders],
                                value="", description="order")  # fmt: skip
        self.button = w.Button(description="Assess" if lang == "en" else "分析",
                               button_style="primary")  # fmt: skip
        self.result = w.HTML()
        self.button.on_click(lambda _: self.update())
        super().__init__([self.message, w.HBox([self.order, self.button]), self.result])
        if text:
            self.update()

    def update(self):
        """Assess the current message (and order) and show the card; returns the assessment."""
        order = self.orders.get(self.order.value) if self.order.value else None
        assessment = self._assess(
            self.message.value, order, staff_lang=self.lang, content=self.content
        )
        self.result.value = assessment._repr_html_()
        return assessment


class MessageComposer(w.VBox):
    """Pick a template, a language and an order, fill the rest: the message previews live.

    The work is :func:`playbook.messages.compose`; this only gathers input and shows it.
    """

    def __init__(
        self,
        orders: Any = None,
        *,
        template: str = "in_transit_notice",
        buyer_lang: str = "en",
        lang: str = "en",
        content: Content | None = None,
    ):
        from .messages import ORDER_FIELDS, catalogue, compose

        self._compose, self._order_fields = compose, set(ORDER_FIELDS)
        self.content = content or load_content()
        self.lang = lang
        self.orders = (
            {}
            if orders is None
            else {str(row["order_id"]): row for row in orders.to_dict(orient="records")}
        )
        ids = [row["id"] for row in catalogue(content=self.content)]
        no_order = "—" if lang == "en" else "（无订单）"
        self.template = w.Dropdown(options=ids, value=template, description="template")
        self.language = w.Dropdown(options=list(self.content.locales.languages),
                                   value=buyer_lang, description="language")  # fmt: skip
        self.order = w.Dropdown(options=[(no_order, "")] + [(k, k) for k in self.orders],
                                value="", description="order")  # fmt: skip
        self.fields = w.VBox()
        self.preview = w.HTML()
        self._boxes: dict[str, w.Text] = {}
        for control in (self.template, self.language, self.order):
            control.observe(lambda _: self._rebuild(), names="value")
        super().__init__([w.HBox([self.template, self.language, self.order]), self.fields,
                          self.preview])  # fmt: skip
        self._rebuild()

    def _rebuild(self) -> None:
        """New template or order: one box per value the order does not supply."""
        template = self.content.templates[self.template.value]
        from_order = self._order_fields if self.order.value else set()
        self._boxes = {}
        for name, var in template.variables.items():
            if name in from_order:
                continue
            box = w.Text(value=str(var.example), description=name,
                         style={"description_width": "initial"})  # fmt: skip
            box.observe(lambda _: self.update(), names="value")
            self._boxes[name] = box
        self.fields.children = list(self._boxes.values())
        self.update()

    def values(self) -> dict[str, str]:
        return {name: box.value for name, box in self._boxes.items()}

    def update(self):
        """Re-draft the message from the current choices; returns the composition."""
        order = self.orders.get(self.order.value) if self.order.value else None
        result = self._compose(self.template.value, self.language.value, order, self.values(),
                               content=self.content)  # fmt: skip
        self.preview.value = result._repr_html_()
        return result

