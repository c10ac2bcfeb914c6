"""Synthetic camera scenes of printed Data Matrix labels, for the decode benchmark and robustness tests.

Why in the library: a station integrator can check a camera setup against the same distortions the cascade
was measured on (identifiers.md section 2.3): module 4-8 px, a 2-4 module quiet zone, dark 20-60 on light
195-240, rotation up to 30 degrees, a 640x480 grey background (90-170 with a +/-20 gradient), Gaussian blur
radius 0.5-1.5 px and Gaussian noise sigma 3-10. Everything is drawn from the caller's seeded generator, so
a scene is reproducible from its seed.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from scanner.datamatrix.encode import Symbol, encode
from scanner.identifiers.checks import gs1_check_digit

SCENE_SIZE = (640, 480)


@dataclass(frozen=True)
class SceneParams:
    """The distortions one scene was drawn with (reported next to failures)."""

    module_px: int
    quiet_zone: int
    dark: int
    light: int
    angle: float
    blur: float
    noise: float
    x: int
    y: int


def draw_params(rng: random.Random, symbol_size: int) -> SceneParams:
    """Draw scene parameters; the rotated label always fits inside the frame."""
    module_px = rng.randint(4, 8)
    quiet = rng.randint(2, 4)
    angle = rng.uniform(0.0, 30.0)
    side = (symbol_size + 2 * quiet) * module_px
    rad = np.deg2rad(angle)
    rotated = int(np.ceil(side * (abs(np.cos(rad)) + abs(np.sin(rad))))) + 2
    width, height = SCENE_SIZE
    return SceneParams(
        module_px=module_px,
        quiet_zone=quiet,
        dark=rng.randint(20, 60),
        light=rng.randint(195, 240),
        angle=angle,
        blur=rng.uniform(0.5, 1.5),
        noise=rng.uniform(3.0, 10.0),
        x=rng.randint(0, max(0, width - rotated)),
        y=rng.randint(0, max(0, height - rotated)),
    )


def render_scene(symbol: Symbol, rng: random.Random, params: SceneParams | None = None) -> np.ndarray:
    """A 640x480 uint8 grayscale frame showing ``symbol`` on a label under the drawn distortions."""
    p = params or draw_params(rng, symbol.size)
    modules = np.pad(symbol.modules, p.quiet_zone, constant_values=False)
    label = np.where(modules, p.dark, p.light).astype(np.uint8)
    label = np.kron(label, np.ones((p.module_px, p.module_px), dtype=np.uint8))
    label_img = Image.fromarray(label).rotate(p.angle, resample=Image.Resampling.BILINEAR, expand=True)
    mask = Image.new("L", (label.shape[1], label.shape[0]), 255).rotate(
        p.angle, resample=Image.Resampling.BILINEAR, expand=True
    )
    width, height = SCENE_SIZE
    base = rng.randint(90, 170)
    slope = rng.uniform(-20.0, 20.0)
    gx = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :]
    gy = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None]
    mix = rng.uniform(0.0, 1.0)
    background = base + slope * (mix * gx + (1 - mix) * gy)
    frame = Image.fromarray(np.clip(background, 0, 255).astype(np.uint8))
    frame.paste(label_img, (p.x, p.y), mask)
    frame = frame.filter(ImageFilter.GaussianBlur(p.blur))
    noise_rng = np.random.default_rng(rng.getrandbits(32))
    noisy = np.asarray(frame, dtype=np.float32) + noise_rng.normal(0.0, p.noise, (height, width))
    return np.clip(noisy, 0, 255).round().astype(np.uint8)


def _alnum(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(rng.randint(low, high)))


def seeded_scene(seed: str | int) -> tuple[Symbol, np.ndarray]:
    """The benchmark scene for ``seed``: a payload ``(01) GTIN (21) 8-12 alnum (10) 5-8 alnum`` and its frame.

    Payloads are 34-41 characters, which zxing-cpp encodes as 22x22 symbols, as in the measured benchmark.
    """
    rng = random.Random(f"scene-{seed}")
    body = "".join(rng.choice(string.digits) for _ in range(13))
    gtin = body + str(gs1_check_digit(body))
    symbol = encode(f"(01){gtin}(21){_alnum(rng, 8, 12)}(10){_alnum(rng, 5, 8)}")
    return symbol, render_scene(symbol, rng)
