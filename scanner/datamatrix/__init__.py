"""Data Matrix for part marking: encode validated identifiers, decode images and frames with a cascade."""

from __future__ import annotations

from scanner.datamatrix.decode import DecodeResult, decode
from scanner.datamatrix.encode import EncodeError, Symbol, encode
from scanner.datamatrix.frames import IMAGE_SUFFIXES, ImageError, load_gray, to_gray

__all__ = [
    "IMAGE_SUFFIXES",
    "DecodeResult",
    "EncodeError",
    "ImageError",
    "Symbol",
    "decode",
    "encode",
    "load_gray",
    "to_gray",
]
