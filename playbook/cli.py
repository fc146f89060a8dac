"""The ``playbook`` command: one sub-command per job, thin over the library functions.

Exit codes: 0 success, 1 the input or content has problems (explained on stderr),
2 the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import PlaybookError

FORMATS = ("table", "csv", "json")


def _json_records(frame) -> list[dict[str, Any]]:
    """A frame's rows as JSON-ready dicts: ISO 8601 times, null for missing, plain numbers."""
    import pandas as pd

    def plain(value: Any) -> Any:
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
        if value is None or (not isinstance(value, list | dict | str) and pd.isna(value)):
            return None
        return value.item() if hasattr(value, "item") else value

    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _frame_to_json(frame) -> str:
    """JSON array of objects (see :func:`_json_records`)."""
    return json.dumps(_json_records(frame), ensure_ascii=False, indent=2)


def _print_frame(frame, fmt: str, out=None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        out.write(_frame_to_json(frame) + "\n")
    elif fmt == "csv":
        frame.to_csv(out, index=False)
    elif frame.empty:
        out.write("(nothing)\n")
    else:
        import pandas as pd

        with pd.option_context("display.max_colwidth", 90, "display.width", 250):
            out.write(frame.to_string(index=False) + "\n")


def _warn_issues(frame) -> None:
    from .orders import order_issues

    issues = order_issues(frame)
    for issue in issues[:20]:
        print(f"warning: {issue}", file=sys.stderr)
    if len(issues) > 20:
        print(f"warning: … and {len(issues) - 20} more", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    from .content import CONTENT_DIR, load_content
    from .errors import ContentError
    from .messages import template_problems

    directory = Path(args.directory) if args.directory else CONTENT_DIR
    content = load_content(directory)
    problems = template_problems(content)
    if problems:
        raise ContentError(problems)
    languages = " ".join(content.locales.languages)
    print(
        f"content OK: {directory} — {len(content.steps)} shipping steps, "
        f"{len(content.taxonomy.reasons)} dispute reasons, "
        f"{len(content.locales.countries)} countries with a buyer language, "
        f"{len(content.templates)} message templates in {languages}"
    )
    return 0


def cmd_due(args: argparse.Namespace) -> int:
    from .checklist import step_table, todo
    from .orders import read_orders

    orders = read_orders(sys.stdin.buffer if args.orders == "-" else args.orders)
    _warn_issues(orders)
    make = step_table if args.all else todo
    table = make(orders, args.today, lang=args.lang)
    drafts = None
    if args.messages:
        from .messages import drafts_for

        drafts = drafts_for(table, orders)
        if args.format != "table":
            table["message"] = [f"{m.subject}\n\n{m.body}" if m else None for m in drafts]
            table["fill_in"] = [
                next((w for w in m.warnings if w.startswith("fill in")), None) if m else None
                for m in drafts
            ]
    if args.format == "table":
        from .content import load_content

        statuses = load_content().checklist.statuses
        table = table.drop(columns=["title", "buyer_lang"])
        table["status"] = table["status"].map(lambda s: statuses[s](args.lang))
        table["deadline"] = table["deadline"].dt.strftime("%Y-%m-%d %H:%M")
        table["urgent"] = table["urgent"].map({True: "!", False: ""})
    _print_frame(table, args.format)
    if drafts is not None and args.format == "table":
        for (order_id, step), message in zip(
            zip(table["order_id"], table["step"], strict=True), drafts, strict=True
        ):
            if message is None:
                continue
            print(f"\n── {order_id} · {step} · {message.template} ({message.language})")
            for note in message.warnings:
                print(f"   ! {note}")
            print(f"{message.subject}\n\n{message.body}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from .sample import orders

    frame = orders(args.n, seed=args.seed, today=args.today)
    target = args.out
    if target == "-":
        frame.to_csv(sys.stdout, index=False)
    elif str(target).endswith(".xlsx"):
        out = frame.copy()
        for column in out.select_dtypes("datetimetz").columns:
            out[column] = out[column].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.to_excel(target, index=False)
    else:
        frame.to_csv(target, index=False)
    if target != "-":
        print(f"wrote {len(frame)} sample orders to {target}", file=sys.stderr)
    return 0


CARRIED = ("id", "order_id")


def cmd_triage(args: argparse.Namespace) -> int:
    import pandas as pd

    from .inbox import read_messages
    from .triage import assess, assess_many

    if args.text is not None:
        if args.file:
            raise ValueError("give a FILE or --text, not both")
        result = assess(args.text, lang=args.message_lang, staff_lang=args.lang)
        if args.format == "text":
            print(repr(result))
        else:
            print(json.dumps(result.to_dict(), ensure_ascii=False))
        return 0
    if not args.file:
        raise ValueError("give a FILE (CSV or JSON Lines, - for stdin) or --text")
    frame = read_messages(sys.stdin.buffer if args.file == "-" else args.file)
    results = assess_many(
        frame, staff_lang=args.lang, progress=None if sys.stderr.isatty() else False
    )
    carried = frame[[c for c in CARRIED if c in frame.columns]]
    out = pd.concat([carried, results], axis=1)
    if args.format == "csv":
        flat = out.copy()
        for column in ("flags", "resolutions", "evidence", "notes"):
            flat[column] = flat[column].map(";".join)
        flat["signals"] = flat["signals"].map(lambda v: json.dumps(v, ensure_ascii=False))
        flat.to_csv(sys.stdout, index=False)
    else:
        for record in _json_records(out):
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, format_report, is_policy_cases, load_cases

    if is_policy_cases(args.cases):
        return _eval_policy(args)
    report = evaluate(load_cases(args.cases))
    if args.format == "json":
        print(json.dumps(report.figures()))
    else:
        print(format_report(report, misses=args.misses))
    figures = report.figures()
    failed = [
        f"{name} {figures[name]:.3f} < {minimum}"
        for name, minimum in (
            ("category_accuracy", args.min_category),
            ("reason_macro_f1", args.min_reason_f1),
            ("flag_micro_f1", args.min_flag_f1),
        )
        if minimum is not None and figures[name] < minimum
    ]
    for line in failed:
        print(f"below threshold: {line}", file=sys.stderr)
    return 1 if failed else 0


def _eval_policy(args: argparse.Namespace) -> int:
    """Labelled seller messages: precision and recall of the policy check per rule."""
    from .evaluate import load_policy_cases
    from .policy import evaluate_policy, format_policy_report

    report = evaluate_policy(load_policy_cases(args.cases))
    if args.format == "json":
        print(json.dumps({k: v for k, v in report.items() if k != "errors"}))
    else:
        print(format_policy_report(report))
        for error in report["errors"][: args.misses]:
            print(f"\n{error['id']}: expected {error['expected']}, got {error['got']}")
            print(f"  {error['text']}")
    failed = [
        f"{rule} {measure} {figures[measure]:.3f} < {minimum}"
        for rule, figures in report["rules"].items()
        for measure, minimum in (("precision", args.min_precision), ("recall", args.min_recall))
        if minimum is not None and figures[measure] < minimum
    ]
    for line in failed:
        print(f"below threshold: {line}", file=sys.stderr)
    return 1 if failed else 0


def _set_values(pairs: list[str] | None) -> dict[str, str]:
    values = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--set wants NAME=VALUE, got {pair!r}")
        values[name.strip()] = value
    return values


def _order_row(path: str, order_id: str | None) -> dict[str, Any]:
    from .orders import read_orders

    orders = read_orders(sys.stdin.buffer if path == "-" else path)
    if order_id is None:
        if len(orders) != 1:
            raise ValueError(f"{path} holds {len(orders)} orders: say which with --order-id")
        return orders.iloc[0].to_dict()
    match = orders[orders["order_id"].astype(str) == str(order_id)]
    if match.empty:
        raise ValueError(f"no order {order_id!r} in {path}")
    return match.iloc[0].to_dict()


def cmd_render(args: argparse.Namespace) -> int:
    import warnings

    from .messages import render

    order = _order_row(args.order, args.order_id) if args.order else None
    if args.order_id and not args.order:
        raise ValueError("--order-id needs --order ORDERS_FILE")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback note is printed below, once
        message = render(args.template, args.buyer_lang, order=order, **_set_values(args.set))
    for note in message.warnings:
        print(f"warning: {note}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(message.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"{message.subject}\n\n{message.body}")
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    from .messages import catalogue

    rows = catalogue(args.buyer_lang, staff_lang=args.lang)
    if args.format == "json":
        keep = ("id", "purpose", "languages", "variables", "serves")
        print(json.dumps([{k: r[k] for k in keep} for r in rows], ensure_ascii=False, indent=2))
        return 0
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["id", "serves", "languages", "purpose"])
    frame["languages"] = frame["languages"].map(" ".join)
    if args.format == "table":  # one line a template: the purpose cut to fit
        frame["purpose"] = frame["purpose"].map(lambda t: t if len(t) <= 70 else t[:69] + "…")
    _print_frame(frame, args.format)
    return 0


def cmd_lint_message(args: argparse.Namespace) -> int:
    from .policy import check_policy

    if args.text is None:
        if not args.file:
            raise ValueError("give --text or a FILE (- for stdin)")
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    else:
        text = args.text
    findings = check_policy(text, lang=args.message_lang, learned=not args.phrases_only)
    if args.format == "json":
        rows = [dataclasses.asdict(f) for f in findings]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not findings:
        print("clean: no policy problem found")
    else:
        zh = args.lang == "zh"
        for f in findings:
            # a model finding matched no phrase: say so, staff weigh it as a second opinion
            learned = (" (学习模型的判断)" if zh else " (the learned model's reading)") * (
                f.source == "model"
            )
            print(f"{f.rule} at {f.start}–{f.end}: {f.span!r}{learned}")
            print(f"  why:   {f.explanation_zh if zh else f.explanation}")
            print(f"  safer: {f.suggestion_zh if zh else f.suggestion}")
    return 1 if findings else 0


HEALTH_TABLE = ["orders", "odr", "dispute_rate", "seller_loss_rate", "positive_feedback_rate",
                "avg_days_to_deliver"]  # fmt: skip


def cmd_health(args: argparse.Namespace) -> int:
    from . import health
    from .orders import read_orders

    orders = read_orders(sys.stdin.buffer if args.orders == "-" else args.orders)
    _warn_issues(orders)
    by = [key.strip() for key in args.by.split(",") if key.strip()] if args.by else None
    frame = health.summary(orders, today=args.today, window=args.window, by=by)
    if args.format == "json":
        rows = health.records(frame, window=True)
        print(json.dumps(rows if by else rows[0], ensure_ascii=False, indent=2))
    elif args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif by:
        table = health.labelled(frame[[*by, *HEALTH_TABLE]], args.lang, percent=True)
        _print_frame(table, "table")
    else:
        start, end = frame.attrs["window_start"], frame.attrs["today"]
        since = start.strftime("%Y-%m-%d %H:%M") if start is not None else "…"
        print(f"orders paid {since} → {end.strftime('%Y-%m-%d %H:%M')} UTC")
        _print_frame(health.scorecard(frame, args.lang), "table")
    if args.plot:
        common = dict(today=args.today, window=args.window, lang=args.lang)
        key = by[0] if by else None
        if key in ("country", "buyer_country", "dispute_reason", "reason"):
            figure = health.plot_disputes(orders, key, **common)
        elif key == "carrier":
            figure = health.plot_delivery_times(orders, **common)
        else:
            figure = health.plot_trend(orders, "odr", **common)
        figure.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _add_common(parser: argparse.ArgumentParser, *, formats: bool = True) -> None:
    parser.add_argument("--lang", choices=("en", "zh"), default="en", help="staff language")
    if formats:
        parser.add_argument("--format", choices=FORMATS, default="table")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playbook",
        description="Seller playbook: the shipping SOP, disputes, messages and store health.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a content folder (the built-in one by default)")
    p.add_argument("directory", nargs="?", help="content folder to check")
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("due", help="the day's to-do list for an orders file, most urgent first")
    p.add_argument("orders", help="orders file (.csv or .xlsx), or - for CSV on stdin")
    p.add_argument("--today", help="YYYY-MM-DD (as of the end of that day, UTC); default now")
    p.add_argument("--all", action="store_true", help="every step of every order, not only to-dos")
    p.add_argument("--messages", action="store_true",
                   help="also print each step's buyer message, drafted from the order")  # fmt: skip
    _add_common(p)
    p.set_defaults(run=cmd_due)

    p = sub.add_parser(
        "triage", help="classify buyer messages: category, reason, flags, what to do"
    )
    p.add_argument("file", nargs="?", help="CSV or JSON Lines with a `text` column, or - for stdin")
    p.add_argument("--text", help="one message to assess instead of a file")
    p.add_argument("--message-lang", help="the message's language if known (detected if not)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="staff language")
    p.add_argument("--format", choices=("jsonl", "csv", "text"), default="jsonl",
                   help="jsonl (default) or csv for files; text or jsonl for --text")  # fmt: skip
    p.set_defaults(run=cmd_triage)

    p = sub.add_parser(
        "eval", help="measure triage (buyer messages) or the policy check (seller messages)"
    )
    p.add_argument("cases", help="labelled cases, JSON Lines (with `rules`: policy cases)")
    p.add_argument("--min-category", type=float, help="fail below this category accuracy")
    p.add_argument("--min-reason-f1", type=float, help="fail below this reason macro-F1")
    p.add_argument("--min-flag-f1", type=float, help="fail below this flag micro-F1")
    p.add_argument("--min-precision", type=float, help="policy: fail below this, any rule")
    p.add_argument("--min-recall", type=float, help="policy: fail below this, any rule")
    p.add_argument("--misses", type=int, default=0, help="show this many misses")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("render", help="a buyer message from a template, ready to paste")
    p.add_argument("template", help="template id (see `playbook templates`)")
    buyer_help = "buyer language (en es ru pt fr de zh); default: the order's, or en"
    p.add_argument("--lang", dest="buyer_lang", default=None, help=buyer_help)
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="a value (repeatable)")
    p.add_argument("--order", metavar="ORDERS_FILE", help="take values from this order file")
    p.add_argument("--order-id", help="which order of --order (needed when it holds several)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=cmd_render)

    p = sub.add_parser("templates", help="the buyer-message templates: ids, purposes, languages")
    p.add_argument("--lang", dest="buyer_lang", default=None,
                   help="only templates written in this buyer language")  # fmt: skip
    p.add_argument("--staff-lang", dest="lang", choices=("en", "zh"), default="en",
                   help="language of the purposes")  # fmt: skip
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(run=cmd_templates)

    p = sub.add_parser("lint-message", help="check an outgoing message against the policy rules")
    p.add_argument("file", nargs="?", help="a text file with the message, or - for stdin")
    p.add_argument("--text", help="the message itself")
    p.add_argument("--message-lang", help="the message's language if known (detected if not)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="staff language")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--phrases-only", action="store_true",
                   help="leave out the learned blame model (the phrase lists only)")  # fmt: skip
    p.set_defaults(run=cmd_lint_message)

    p = sub.add_parser("health", help="store health: ODR, disputes, feedback, delivery times")
    p.add_argument("orders", help="orders file (.csv or .xlsx), or - for CSV on stdin")
    p.add_argument("--window", help="days before --today, e.g. 60d, 8w or all (default 60d)")
    p.add_argument("--today", help="YYYY-MM-DD (as of the end of that day, UTC); default now")
    p.add_argument("--by", help="group by country, carrier, dispute_reason (comma-separated)")
    p.add_argument("--plot", metavar="PNG", help="also save a chart: the ODR trend, or by --by")
    _add_common(p)
    p.set_defaults(run=cmd_health)

    p = sub.add_parser("sample", help="write seeded synthetic orders (for practice and demos)")
    p.add_argument("n", type=int, help="how many orders")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--today", help="YYYY-MM-DD the sample is made for (default: fixed day)")
    p.add_argument("--out", default="-", help="file (.csv or .xlsx) or - for stdout")
    p.set_defaults(run=cmd_sample)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except BrokenPipeError:  # e.g. `playbook due … | head`
        return 0
    except (PlaybookError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
