"""Round trip for 200 seeded random identifiers of both schemes: encode, render a label, decode, parse."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image
from scanner_samples import random_identifier

from scanner.datamatrix import decode, encode
from scanner.datamatrix.scenes import render_scene
from scanner.labels import label_content, render_image

N = 200


@pytest.fixture
def identifiers() -> list:
    rng = random.Random(20261123)
    return [random_identifier(rng) for _ in range(N)]


def test_generator_covers_both_schemes_and_constructs(identifiers: list) -> None:
    schemes = {p.scheme for p in identifiers}
    constructs = {p.primary_key for p in identifiers}
    assert schemes == {"gs1", "mh10"}
    assert {"01", "25S", "12V+S"} <= constructs
    assert len({p.uid for p in identifiers}) == N


def test_round_trip_through_label_images(identifiers: list) -> None:
    rng = random.Random(7)
    failures = []
    for i, part in enumerate(identifiers):
        if i % 2:
            # A printed label as the PNG renderer draws it, at a label printer's 203 dpi.
            image: np.ndarray | Image.Image = render_image(label_content(part), dpi=203)
        else:
            # The bare symbol photographed: rotated, blurred, noisy, on a 640x480 frame.
            image = render_scene(encode(part), rng)
        [res] = decode(image)
        if res.part != part:
            failures.append((i, part.uid, res.stage, res.raw, res.error))
    assert failures == []
