"""Today's date, in UTC: the ledger timestamps in UTC, so every date the API judges against is a UTC date.

A server whose local zone is not UTC would otherwise disagree with the chaincode about "today" for a few hours a
day (an "expiring" badge a day off, a certificate signed "tomorrow").
"""

from __future__ import annotations

import datetime as dt


def today() -> dt.date:
    """The current UTC date."""
    return dt.datetime.now(dt.UTC).date()
