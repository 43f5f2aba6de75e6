"""The ``workbench`` command: a thin layer over the library.

Each verb lives in :mod:`workbench.commands` as a module with a ``register(subparsers)`` function
that adds its parser and sets ``func``. A :class:`~workbench.exceptions.WorkbenchError` becomes one
readable line on stderr and exit code 2; argparse usage errors also exit with 2; an interrupt
(Ctrl-C) exits with 130. Exit code 1 is left to the verbs: one or more cases or checks failed (see
:mod:`workbench.commands` for the table).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ._version import __version__
from .commands import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from .exceptions import WorkbenchError

#: Verb modules under ``workbench.commands``, in the order ``--help`` lists them.
VERBS = (
    "survival", "rates", "continuous", "meta", "power", "design", "simulate", "pipeline", "report",
    "calculator",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``workbench`` command, one subcommand per verb."""
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Design, simulate and analyse clinical outcome trials.",
        epilog="exit codes (every verb): 0 all ok; 1 one or more cases or checks failed; "
               "2 usage or input error; 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for name in VERBS:
        try:
            module = importlib.import_module(f"{__package__}.commands.{name}")
        except ModuleNotFoundError as exc:  # a verb not shipped (yet) in this build
            if exc.name == f"{__package__}.commands.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``workbench`` command with ``argv`` (default: the process's arguments).

    Returns
    -------
    int
        The exit code: the verb's own (0 all ok, 1 cases or checks failed), 2 for a
        :class:`~workbench.exceptions.WorkbenchError`, which is printed as one line on stderr,
        130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
    except WorkbenchError as exc:
        print(f"workbench {args.verb}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"workbench {args.verb}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    return int(code or EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
