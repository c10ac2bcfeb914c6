"""Seeded random part identifiers of both schemes, for round-trip tests."""

from __future__ import annotations

import random
import string

from scanner.identifiers import PartIdentifier, build_gs1, build_mh10
from scanner.identifiers.checks import gs1_check_digit

ALNUM = string.ascii_uppercase + string.digits
CSET82_SAFE = ALNUM + "abcxyz-./_"


def random_gtin(rng: random.Random) -> str:
    body = "".join(rng.choice(string.digits) for _ in range(13))
    return body + str(gs1_check_digit(body))


def random_identifier(rng: random.Random) -> PartIdentifier:
    """A valid GS1 or MH10 identifier with a random subset of optional fields."""
    date = f"20{rng.randint(20, 30)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if rng.random() < 0.5:
        return build_gs1(
            gtin=random_gtin(rng),
            serial="".join(rng.choice(CSET82_SAFE) for _ in range(rng.randint(1, 20))),
            lot="".join(rng.choice(ALNUM) for _ in range(rng.randint(1, 10))) if rng.random() < 0.6 else None,
            production_date=date if rng.random() < 0.5 else None,
            part_number="".join(rng.choice(ALNUM + "-") for _ in range(rng.randint(3, 15)))
            if rng.random() < 0.4
            else None,
            country_of_origin=rng.choice(["US", "MX", "CA", "DE", "CN"]) if rng.random() < 0.5 else None,
        )
    duns = "".join(rng.choice(string.digits) for _ in range(9))
    serial = "".join(rng.choice(ALNUM) for _ in range(rng.randint(4, 20)))
    use_uii = rng.random() < 0.4
    return build_mh10(
        uii="UN" + duns + serial if use_uii else None,
        serial=None if use_uii else serial,
        duns=None if use_uii else duns,
        part_number="".join(rng.choice(ALNUM + "- ") for _ in range(rng.randint(3, 20))).strip() or "P1",
        lot="".join(rng.choice(ALNUM) for _ in range(6)) if rng.random() < 0.5 else None,
        production_date=date if rng.random() < 0.5 else None,
        country_of_origin=rng.choice(["US", "MX", "CA", "JP"]) if rng.random() < 0.5 else None,
        quantity=rng.randint(1, 999) if rng.random() < 0.3 else None,
    )
