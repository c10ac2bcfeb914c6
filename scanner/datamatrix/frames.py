"""Turn what a station has (an image file, a PIL image, a camera frame) into one grayscale uint8 array.

Every decoder stage wants 8-bit gray; converting once up front keeps the cascade's timings honest and lets
libdmtx (which needs a packed buffer) share the array with zxing-cpp.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ledger.errors import ParseError

#: File types stations and the CLI accept (what Pillow reads and label printers and cameras write).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
#: ITU-R BT.601 luma weights for a BGR frame (the OpenCV / camera convention).
_BGR_WEIGHTS = np.array([0.114, 0.587, 0.299], dtype=np.float32)


class ImageError(ParseError):
    """The image cannot be read or is not a picture a decoder can use."""


def load_gray(path: str | Path) -> np.ndarray:
    """Read an image file (PNG, JPEG, TIFF, BMP...) as grayscale uint8.

    Raises:
        ImageError: unreadable, missing or not an image.
    """
    try:
        with Image.open(path) as img:
            img.load()
            return np.asarray(img.convert("L"))
    except FileNotFoundError:
        raise ImageError(f"image file {str(path)!r} does not exist", value=str(path)) from None
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise ImageError(f"cannot read image {str(path)!r}: {err}", value=str(path)) from None


def to_gray(frame: np.ndarray | Image.Image) -> np.ndarray:
    """Grayscale uint8 view of a camera frame (HxW, HxWx1, HxWx3 BGR, HxWx4 BGRA) or a PIL image.

    Raises:
        ImageError: wrong shape or an empty frame.
    """
    if isinstance(frame, Image.Image):
        return np.asarray(frame.convert("L"))
    arr = np.asarray(frame)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        arr = (arr[:, :, :3].astype(np.float32) @ _BGR_WEIGHTS).round()
    if arr.ndim != 2 or arr.size == 0:
        raise ImageError(f"frame of shape {arr.shape} is not a grayscale or BGR image", value=str(arr.shape))
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr)
