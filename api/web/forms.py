"""Refused forms: turn a validation or ledger error into the page's message and a message per form field.

Pages hand a form to the API's own models and functions; what those refuse comes back here, so every form marks
its fields the same way (the field's name mapped to the form input by the page's own ``name`` function).
"""

from __future__ import annotations

from collections.abc import Callable

import pydantic

from ledger.errors import LedgerError, to_problem

#: How much of a refused value a message repeats (a pasted 5,000-character value would bury the message).
SHOWN = 80


def field_errors(err: pydantic.ValidationError) -> dict[str, str]:
    """Pydantic errors keyed by form field name (``cost_breakdown.vnm`` -> ``cost_vnm``)."""
    out: dict[str, str] = {}
    for e in err.errors():
        loc = [str(x) for x in e.get("loc", ())]
        if loc[:1] == ["cost_breakdown"] and len(loc) > 1:
            name = f"cost_{loc[1]}"
        elif loc[:1] == ["scope"]:
            name = "scope_" + {"from": "from", "from_": "from", "to": "to"}.get(loc[1] if len(loc) > 1 else "", "kind")
        else:
            name = loc[0] if loc else "form"
        got = e.get("input")
        message = str(e.get("msg", "invalid"))
        if isinstance(got, str | int | float) and got != "":
            shown = repr(got)
            message += f" (got {shown if len(shown) <= SHOWN else shown[: SHOWN - 1] + '…'})"
        out.setdefault(name, message)
    return out


def refusal(
    err: pydantic.ValidationError | LedgerError,
    refused: str,
    name: Callable[[str], str],
    default: str | None = None,
) -> tuple[str, dict[str, str]]:
    """The page message (starting with ``refused``) and the messages by form input for a refused form.

    A ledger error that names no field is marked at ``default`` when given (the form's main input).
    """
    if isinstance(err, pydantic.ValidationError):
        return f"{refused}: correct the fields marked below.", {name(k): v for k, v in field_errors(err).items()}
    problem = to_problem(err)
    field = problem.extra.get("field") or default
    return f"{refused}: {problem.detail}", ({name(str(field)): problem.detail} if field else {})
