"""What every CLI command shares: turning project errors into one line on stderr and exit code 2."""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer

from ledger.errors import LedgerError, to_problem

P = ParamSpec("P")
R = TypeVar("R")

#: Exit code for bad input or a refused operation (as documented in the README).
EXIT_BAD_INPUT = 2


def fail(message: str) -> typer.Exit:
    """Print one line to stderr; returns the Exit for the caller to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def cli_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a Typer command so project errors and unreadable files end as one line and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except LedgerError as err:
            problem = to_problem(err)
            field = problem.extra.get("field")
            named = field and re.search(rf"(?<![\w.\[]){re.escape(str(field))}(?![\w\]])", problem.detail)
            where = f" ({field})" if field and not named else ""
            raise fail(f"{problem.detail}{where}") from None
        except (OSError, UnicodeDecodeError) as err:
            raise fail(str(err)) from None
        except json.JSONDecodeError as err:
            raise fail(f"invalid JSON: {err}") from None

    return wrapper


def read_text_arg(value: str) -> str:
    """Read a CLI argument that is either a file path or ``-`` for standard input."""
    if value == "-":
        return sys.stdin.read()
    with open(value, encoding="utf-8") as fh:
        return fh.read()


def print_json(data: Any) -> None:
    """Print JSON with sorted keys (stable output for scripts and tests)."""
    typer.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str))
