"""The README's generated sections: the command-line synopsis (from the argparse parser) and the zoo table (from
the model registry), so the README cannot drift from the code.

    python -m xport.docs            # rewrite the generated sections of README.md in place
    python -m xport.docs --check    # exit 1, naming the stale sections, if README.md differs

Each section sits between ``<!-- generated: NAME (python -m xport.docs) -->`` and ``<!-- end: NAME -->``;
``parity_tests/test_readme.py`` fails when a section is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlparse

from .efficient_ops import list_models, model_card

# The synopsis is read in a terminal and on GitHub: argparse wraps each verb's usage at this width.
WIDTH = 116
# Options every verb has, said once under the synopsis rather than on every line.
_EVERY_VERB = {"-h", "-q"}


def _verbs(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(verb, help, sub-parser) of every verb, in the order the parser registers them."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in action._choices_actions}
    return [(name, helps.get(name, ""), sub) for name, sub in action.choices.items()]


def _usage(prog: str, sub: argparse.ArgumentParser) -> str:
    # Positionals right after the verb, as people write commands (argparse's own usage puts them last).
    positionals = [a.metavar or a.dest.upper() for a in sub._actions if not a.option_strings]
    options = [a for a in sub._actions if a.option_strings and not _EVERY_VERB & set(a.option_strings)]
    formatter = argparse.HelpFormatter(" ".join([prog, *positionals]), width=WIDTH)
    formatter.add_usage(None, options, [], prefix="")
    return formatter.format_help().rstrip()


def cli_synopsis() -> str:
    """Every verb's usage, preceded by what it does, as `xport VERB --help` prints it."""
    from .cli import build_parser  # the CLI imports every backend; only this section needs it

    blocks = [f"# {help_}\n{_usage(f'xport {name}', sub)}" for name, help_, sub in _verbs(build_parser())]
    return "```\n" + "\n".join(blocks) + "\n```"


def zoo_table() -> str:
    """The zoo's models with their cards: clip, GFLOPs, parameters, official checkpoint and its accuracy."""
    rows = ["| model | clip (C,T,H,W) | GFLOPs (2×MAC) | parameters | official checkpoint (top-1/top-5) |",
            "|---|---|---|---|---|"]
    for name in list_models():
        card = model_card(name)
        checkpoint = "–"
        if card.checkpoint:
            checkpoint = f"`{Path(urlparse(card.checkpoint).path).name}`"
            if card.accuracy:
                checkpoint += f" ({card.accuracy[0]}/{card.accuracy[1]})"
        rows.append(f"| `{name}` | {'×'.join(map(str, card.input_size))} | "
                    f"{f'{card.gflops:.2f}' if card.gflops else '–'} | {f'{card.params:,}' if card.params else '–'} | "
                    f"{checkpoint} |")
    return "\n".join(rows)


SECTIONS: dict[str, Callable[[], str]] = {"cli-synopsis": cli_synopsis, "zoo-table": zoo_table}


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- generated: {name} \(python -m xport\.docs\) -->\n)(.*?)(\n<!-- end: {name} -->)",
                      re.DOTALL)


def render(readme: str) -> str:
    """``readme`` with every generated section written afresh (a README without a section's markers is an error)."""
    for name, make in SECTIONS.items():
        found = _pattern(name).search(readme)
        if not found:
            raise ValueError(f"README has no '{name}' section markers")
        readme = readme[:found.start(2)] + make() + readme[found.end(2):]
    return readme


def stale_sections(readme: str) -> list[str]:
    """Names of the generated sections whose text in ``readme`` differs from what the code generates now."""
    return [name for name, make in SECTIONS.items()
            if (m := _pattern(name).search(readme)) is None or m.group(2) != make()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xport.docs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--readme", type=Path, default=Path("README.md"))
    parser.add_argument("--check", action="store_true", help="only say which sections are stale (exit 1 if any)")
    args = parser.parse_args(argv)
    text = args.readme.read_text()
    if args.check:
        stale = stale_sections(text)
        for name in stale:
            print(f"{args.readme}: section '{name}' is stale; run `python -m xport.docs`")
        return 1 if stale else 0
    args.readme.write_text(render(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
