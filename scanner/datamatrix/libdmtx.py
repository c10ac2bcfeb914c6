"""libdmtx through ctypes with the FNC1 property set: the last stage of the decode cascade.

Why not ``pylibdmtx.decode()``: it leaves libdmtx's FNC1 property unset, so GS1 separators vanish and, in
C40/Text encodation, the character after a separator is decoded from the wrong set (``<GS>10LOT`` comes
back as ``&0LOT``; see ../shared/docs/identifiers.md section 2.2). With ``DmtxPropFnc1 = 0x1D`` every FNC1
becomes GS and a leading GS marks FNC1 in first position (GS1). This module reuses pylibdmtx 0.1.10's
private context managers, which is why pyproject.toml pins that exact version.

libdmtx is a system library (Debian ``libdmtx0b``). When it is absent the cascade still runs its zxing-cpp
stages; :func:`available` warns once so the operator knows the fallback is missing.
"""

from __future__ import annotations

import threading
import warnings
from ctypes import cast
from typing import Any

import numpy as np

_lock = threading.Lock()
_state: dict[str, Any] = {"checked": False, "module": None}

#: Debian package that provides libdmtx.so (listed in scripts/apt-packages.txt).
DEBIAN_PACKAGE = "libdmtx0b"


def _load() -> Any:
    """Import pylibdmtx (which loads libdmtx.so at import) once; None when the library is missing."""
    with _lock:
        if not _state["checked"]:
            _state["checked"] = True
            try:
                from pylibdmtx import pylibdmtx as dm

                _state["module"] = dm
            except (ImportError, OSError) as err:
                warnings.warn(
                    f"libdmtx is not available ({err}); Data Matrix decoding falls back to zxing-cpp only. "
                    f"Install the {DEBIAN_PACKAGE} system package for the last cascade stage.",
                    RuntimeWarning,
                    stacklevel=3,
                )
        return _state["module"]


def available() -> bool:
    """True when libdmtx can be used (warns once, on the first call, when it cannot)."""
    return _load() is not None


def decode_fnc1(gray: np.ndarray, *, timeout_ms: int = 200, max_count: int | None = 1) -> list[bytes]:
    """Decode Data Matrix symbols in a uint8 grayscale image with FNC1 reported as 0x1D.

    Returns:
        The raw message of each symbol found, in libdmtx's order; a GS1 symbol's message starts with 0x1D.
        Empty when nothing was read or libdmtx is absent.
    """
    dm = _load()
    if dm is None:
        return []
    from pylibdmtx.wrapper import DmtxProperty, DmtxUndefined, c_ubyte_p, dmtxDecodeSetProp

    frame = np.ascontiguousarray(gray, dtype=np.uint8)
    height, width = frame.shape[:2]
    pixels = frame.tobytes()
    out: list[bytes] = []
    with (
        dm._image(cast(pixels, c_ubyte_p), width, height, dm._PACK_ORDER[8]) as image,
        dm._decoder(image, 1) as decoder,
    ):
        dmtxDecodeSetProp(decoder, DmtxProperty.DmtxPropFnc1, 0x1D)
        deadline = dm.dmtxTimeAdd(dm.dmtxTimeNow(), timeout_ms) if timeout_ms else None
        while True:
            with dm._region(decoder, deadline) as region:
                if not region:
                    break
                found = dm._decode_region(decoder, region, DmtxUndefined, 1)
                if found:
                    out.append(found.data)
                    if max_count is not None and len(out) >= max_count:
                        break
    return out
