"""The catalog as text: the list of controls, and one control in full.

Both fit the width given without splitting a word (a word wider than its column would be
cut by rich's fold; the columns that hold one-word cells never wrap), and no line ends
in a space, so a pipe gets plain lines.
"""

from __future__ import annotations

import textwrap

from kaze_policy.catalog import Control
from kaze_policy.examples import Example

INDENT = "  "


def control_table(controls: list[Control], width: int) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(controls)} controls", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("Id", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Scopes", no_wrap=True)  # one scope a line: "supply-chain" is one word
    table.add_column("Title", overflow="fold", ratio=1)  # fold only a word wider than the column
    for c in controls:
        table.add_row(c.id, c.severity, "\n".join(c.scopes), c.title)
    console = Console(width=width, color_system=None, force_terminal=False, highlight=False)
    with console.capture() as captured:
        console.print(table)
        console.print("`kaze-policy controls ID` shows one control in full.")
    return _plain(captured.get())


def control_card(control: Control, examples: list[Example] | None, width: int) -> str:
    """Everything about one control: what it asks, why, how to fix, and an example of each outcome."""
    out = [f"{control.id}  {control.severity}", *_wrap(control.title, width, "")]
    out += _field("Scopes", ", ".join(control.scopes), width)
    if control.kinds:
        out += _field("Applies to", ", ".join(control.kinds), width)
    if control.reference:
        out += _field("Reference", control.reference, width)
    for name, ids in control.frameworks.items():
        out += _field(f"Framework {name}", " ".join(ids), width)
    out += ["", "Rationale", *_wrap(control.description or "(none given)", width)]
    out += ["", "Remediation", *_wrap(control.remediation or "(none given)", width)]
    out += _examples(control.id, examples, width)
    return "\n".join(out) + "\n"


def _examples(control_id: str, examples: list[Example] | None, width: int) -> list[str]:
    if examples is None:
        return ["", f"Examples: no fixtures/{control_id} here (they are in the source repository, "
                    "not in an installed package)."]
    out: list[str] = []
    for example in examples:
        title = "Failing example" if example.outcome == "fail" else "Passing example"
        out += ["", f"{title}: {example.case.parent.name}/{example.case.name}"]
        out += _wrap(example.reason, width)
        for excerpt in example.excerpts:
            out.append(f"{INDENT}--- {excerpt.file}")
            out += [f"{INDENT}{line}".rstrip() for line in excerpt.lines]
            if excerpt.more:
                out.append(f"{INDENT}… ({excerpt.more} more lines)")
    return out


def _field(name: str, value: str, width: int) -> list[str]:
    return textwrap.wrap(f"{name}: {value}", width=width, subsequent_indent=INDENT,
                         break_long_words=False, break_on_hyphens=False)


def _wrap(text: str, width: int, indent: str = INDENT) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width=width, initial_indent=indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def _plain(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
