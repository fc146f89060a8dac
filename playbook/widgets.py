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
from .messages import orders_by_id

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
        self.orders = orders_by_id(orders)
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
        self.orders = orders_by_id(orders)
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


class ScenarioDrill(w.VBox):
    """One scenario at a time: read it, answer, submit, get feedback, go on to the next.

    The session (:class:`playbook.drill.DrillSession`) picks, grades and records; this
    only gathers the answers. Every attempt goes to the progress store (``PLAYBOOK_DB`` or
    the user's data folder) unless ``record=False``.
    """

    kind: str | None = None

    def __init__(
        self,
        trainee: str = "",
        *,
        skill: str | None = None,
        difficulty: int | None = None,
        lang: str = "en",
        session: str | None = None,
        record: bool = True,
        store: Any = None,
        content: Content | None = None,
    ):
        self.content = content or load_content()
        self.lang, self.skill, self.difficulty, self.session_name = lang, skill, difficulty, session
        self.record, self._store = record, store
        zh = lang == "zh"
        self.name = w.Text(value=trainee, placeholder="姓名" if zh else "your name",
                           description="学员" if zh else "trainee")  # fmt: skip
        self.start_button = w.Button(description="开始" if zh else "Start", button_style="primary")
        self.notice = w.HTML()
        self.card = w.HTML()
        self.controls = w.VBox()
        self.submit_button = w.Button(description="提交" if zh else "Submit",
                                      button_style="primary", disabled=True)  # fmt: skip
        self.next_button = w.Button(description="下一题" if zh else "Next", disabled=True)
        self.feedback = w.HTML()
        for widget, css in ((self, "pb-drill"), (self.name, "pb-trainee"),
                            (self.start_button, "pb-start"), (self.submit_button, "pb-submit"),
                            (self.next_button, "pb-next"), (self.feedback, "pb-feedback"),
                            (self.card, "pb-scenario")):  # fmt: skip
            widget.add_class(css)
        self.start_button.on_click(lambda _: self.start())
        self.submit_button.on_click(lambda _: self.submit())
        self.next_button.on_click(lambda _: self.next())
        self.inputs: dict[str, Any] = {}
        self.drill: Any = None
        self.last_grade: Any = None
        super().__init__([
            w.HBox([self.name, self.start_button]), self.notice, self.card, self.controls,
            w.HBox([self.submit_button, self.next_button]), self.feedback,
        ])  # fmt: skip
        if trainee.strip():
            self.start()

    def _open_store(self) -> Any:
        if not self.record:
            return None
        if self._store is not None:
            return self._store
        from .errors import PlaybookError
        from .progress import ProgressStore

        try:
            self._store = ProgressStore()
        except PlaybookError as exc:  # shown, never hidden: the drill still works
            self.notice.value = (
                f"<p style='color:#c62828'>⚠ progress is not saved: {html.escape(str(exc))}</p>"
            )
            return None
        return self._store

    def start(self) -> Any:
        """Begin (or resume) the trainee's session and show the first scenario."""
        from .drill import DrillSession

        if not self.name.value.strip():
            self.notice.value = "<p style='color:#c62828'>" + (
                "请先输入姓名" if self.lang == "zh" else "Type your name first"
            ) + "</p>"  # fmt: skip
            return None
        self.drill = DrillSession(
            self.name.value, skill=self.skill, difficulty=self.difficulty, kind=self.kind,
            lang=self.lang, session=self.session_name, store=self._open_store(),
        )  # fmt: skip
        self.name.disabled = self.start_button.disabled = True
        return self.next()

    def next(self) -> Any:
        """Show the next scenario (or say the drill is complete)."""
        from .drill import scenario_card_html

        scenario = self.drill.next()
        self.feedback.value = ""
        self.next_button.disabled = True
        if scenario is None:
            self.card.value = (
                "<h3>🎉 " + ("全部完成！" if self.lang == "zh" else "All done!") + "</h3>"
            )
            self.controls.children, self.submit_button.disabled = [], True
            return None
        self.card.value = scenario_card_html(scenario, self.lang)
        self._build_inputs(scenario)
        self.submit_button.disabled = False
        return scenario

    def _build_inputs(self, scenario: Any) -> None:
        from .training import FIELDS, choices

        self.inputs = {}
        rows = []
        for name in FIELDS[scenario.kind]:
            options = choices(scenario, name, self.lang)
            if name == "flags":
                boxes = {value: w.Checkbox(description=label, indent=False, value=False)
                         for label, value in options}  # fmt: skip
                for value, box in boxes.items():
                    box.add_class(f"pb-flag-{value}")
                self.inputs[name] = boxes
                rows.append(w.HBox([w.HTML(f"<b>{name}</b>"), *boxes.values()]))
            else:
                drop = w.Dropdown(options=[("—", ""), *options], value="", description=name,
                                  style={"description_width": "90px"},
                                  layout=w.Layout(width="520px"))  # fmt: skip
                drop.add_class(f"pb-field-{name}")
                self.inputs[name] = drop
                rows.append(drop)
        self.controls.children = rows

    def answers(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, control in self.inputs.items():
            if isinstance(control, dict):
                out[name] = [value for value, box in control.items() if box.value]
            else:
                out[name] = control.value or None
        return out

    def set_answers(self, **answers: Any) -> None:
        """Fill the controls (what a trainee's clicks do; handy in notebooks and tests)."""
        for name, value in answers.items():
            control = self.inputs[name]
            if isinstance(control, dict):
                for flag, box in control.items():
                    box.value = flag in (value or [])
            else:
                control.value = value or ""

    def submit(self) -> Any:
        """Grade the answers, record the attempt, show the feedback; returns the Grade."""
        self.last_grade = self.drill.answer(self.answers())
        self.feedback.value = self.last_grade._repr_html_()
        self.submit_button.disabled = True
        self.next_button.disabled = False
        return self.last_grade


class ChecklistDrill(ScenarioDrill):
    """What is due today for this order? The shipping-SOP scenarios, one order at a time."""

    kind = "sop"
