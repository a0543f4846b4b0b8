"""The ``lrwatch`` command. Each subcommand lives in its own module, imported only when run,
so ``lrwatch --help`` starts instantly and never loads torch.

Errors that lrwatch raises on purpose print as one line, ``Type: message``, and exit 1.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from lrwatch._version import __version__
from lrwatch.errors import LRWatchError

# name -> "module:attribute" of the click command
SUBCOMMANDS = {
    "runs": "lrwatch.cli.runs:runs",
    "check": "lrwatch.cli.check:check",
    "export": "lrwatch.cli.export:export",
    "analyze": "lrwatch.cli.analyze:analyze",
    "demo": "lrwatch.cli.demo:demo",
    "dashboard": "lrwatch.cli.dashboard:dashboard",
    "report": "lrwatch.cli.report:report",
    "sweep": "lrwatch.cli.sweep:sweep",
    "sync": "lrwatch.cli.sync:sync",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lrwatch")
def cli() -> None:
    """lrwatch: watch Lightning training through its learning rate."""


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: run the CLI, turning lrwatch errors into one line and exit 1."""
    try:
        return cli.main(args=argv, prog_name="lrwatch", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except LRWatchError as exc:
        click.echo(f"{type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
