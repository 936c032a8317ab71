"""The ``mechtms`` command. Thin: every command calls the public API.

Commands live in their own modules and are imported only when invoked, so
``mechtms --help`` stays fast. Bad input prints one line and exits with status 2.
"""

from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from .._checks import message_of

#: command name -> "module:attribute" of its click command
COMMANDS: dict[str, str] = {
    "run": "mechtms.cli.run_cmd:run",
    "protocols": "mechtms.cli.protocols_cmd:protocols",
    "protocol": "mechtms.cli.protocols_cmd:protocol",
    "scan": "mechtms.cli.scan_cmd:scan",
    "sensitivity": "mechtms.cli.scan_cmd:sensitivity",
    "export": "mechtms.cli.export_cmd:export",
    "fit": "mechtms.cli.fit_cmd:fit",
    "validate": "mechtms.cli.validate_cmd:validate",
    "cohort": "mechtms.cli.cohort_cmd:cohort",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attribute = target.split(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mechtms")
def cli():
    """Multiscale mechanistic modelling of rTMS: protocols, network, plasticity, pathways."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning bad input into one line on stderr and exit code 2."""
    try:
        code = cli.main(args=argv, prog_name="mechtms", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(0)
    except click.UsageError as exc:
        hint = ""
        if exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        click.echo(f"mechtms: error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.Abort:
        click.echo("mechtms: interrupted", err=True)
        sys.exit(130)
    except (ValueError, KeyError, FileNotFoundError, PermissionError, NotADirectoryError,
            IsADirectoryError) as exc:
        click.echo(f"mechtms: error: {' '.join(message_of(exc).split())}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
