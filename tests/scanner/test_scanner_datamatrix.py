"""Data Matrix encode and the decode cascade on real zxing-cpp / libdmtx images."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ledger.errors import ParseError, ValidationError
from scanner.datamatrix import DecodeResult, ImageError, decode, encode, libdmtx, to_gray
from scanner.datamatrix.scenes import seeded_scene

GS, RS, EOT = "\x1d", "\x1e", "\x04"
GS1_HRI = "(01)04012345123456(11)250314(21)SN000187(10)LOT42"
GS1_RAW = "01040123451234561125031421SN000187" + GS + "10LOT42"
MH10 = "[)>" + RS + "06" + GS + "25SUN123456789SN0001234" + GS + "P84512345" + GS + "4LDE" + RS + EOT


def scene(symbol_img: np.ndarray, *, size: tuple[int, int] = (480, 640), at: tuple[int, int] = (60, 80)) -> np.ndarray:
    frame = np.full(size, 200, dtype=np.uint8)
    h, w = symbol_img.shape
    frame[at[0] : at[0] + h, at[1] : at[1] + w] = symbol_img
    return frame


def test_gs1_symbol_carries_fnc1_first_and_the_exact_element_string() -> None:
    sym = encode(GS1_HRI)
    assert sym.symbology_identifier == "]d2"
    assert sym.raw == GS1_RAW
    assert sym.size == 22
    assert sym.identifier.uid == "https://id.gs1.org/01/04012345123456/21/SN000187"


def test_mh10_symbol_is_a_15434_message() -> None:
    sym = encode(MH10)
    assert sym.symbology_identifier == "]d1"
    assert sym.raw == MH10
    assert sym.modules.shape[0] == sym.modules.shape[1]


@pytest.mark.parametrize(
    ("payload", "error", "message"),
    [
        ("(01)04012345123457(21)X", ValidationError, "GTIN 04012345123457 has check digit 7, expected 6"),
        ("(01)04012345123456(11)251340(21)X", ValidationError, "AI (11) date 251340 has month 13, not 01-12"),
        ("hello", ParseError, "unrecognised identifier 'hello'"),
    ],
)
def test_encode_validates_before_encoding(payload: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        encode(payload)


@pytest.mark.parametrize(("payload", "content_type", "sid"), [(GS1_HRI, "gs1", "]d2"), (MH10, "iso15434", "]d1")])
def test_decode_frame_reports_everything(payload: str, content_type: str, sid: str) -> None:
    sym = encode(payload)
    [res] = decode(scene(sym.to_image(module_px=6)), frame=7)
    assert isinstance(res, DecodeResult)
    assert res.found
    assert res.stage == "zxing"
    assert res.frame == 7
    assert res.path is None
    assert (res.symbology_identifier, res.content_type, res.raw) == (sid, content_type, sym.raw)
    assert res.part == sym.identifier
    assert res.error is None
    assert res.elapsed_ms > 0
    assert res.position is not None
    assert len(res.position) == 4
    as_dict = res.as_dict()
    assert as_dict["part"]["uid"] == sym.identifier.uid
    assert set(as_dict) == {
        "path",
        "frame",
        "found",
        "symbology_identifier",
        "content_type",
        "raw",
        "part",
        "error",
        "elapsed_ms",
        "stage",
        "position",
    }


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "BMP"])
def test_decode_image_files(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"label.{fmt.lower()}"
    Image.fromarray(scene(encode(GS1_HRI).to_image(module_px=6))).convert("RGB").save(path, format=fmt)
    [res] = decode(path)
    assert res.path == str(path)
    assert res.raw == GS1_RAW
    assert res.part is not None
    assert res.part.serial == "SN000187"


def test_bgr_and_bgra_camera_frames_and_pil_images() -> None:
    gray = scene(encode(GS1_HRI).to_image(module_px=5))
    bgr = np.dstack([gray, gray, gray])
    bgra = np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    for frame in (bgr, bgra, Image.fromarray(gray), gray[:, :, None]):
        [res] = decode(frame)
        assert res.raw == GS1_RAW


def test_nothing_found_is_one_result_with_found_false() -> None:
    [res] = decode(np.full((240, 320), 255, dtype=np.uint8))
    assert not res.found
    assert res.raw is None
    assert res.part is None
    assert res.stage is None


def test_invalid_payload_in_a_symbol_is_reported_not_raised() -> None:
    import zxingcpp

    bc = zxingcpp.create_barcode("(01)04012345123457(21)X", zxingcpp.BarcodeFormat.DataMatrix, gs1=True)
    img = np.asarray(bc.to_image(scale=6))
    [res] = decode(scene(img))
    assert res.found
    assert res.part is None
    assert res.error == {
        "kind": "validation_error",
        "message": "GTIN 04012345123457 has check digit 7, expected 6",
    }


def test_require_serial_reports_lot_codes_as_errors() -> None:
    [res] = decode(scene(encode("(01)04012345123456(10)LOT42").to_image(module_px=6)), require_serial=True)
    assert res.error is not None
    assert res.error["message"].endswith("not a serialized part")


def test_all_returns_every_symbol() -> None:
    frame = scene(encode(GS1_HRI).to_image(module_px=5), at=(20, 20))
    second = encode(MH10).to_image(module_px=5)
    frame[250 : 250 + second.shape[0], 350 : 350 + second.shape[1]] = second
    results = decode(frame, all=True)
    assert sorted(r.content_type for r in results) == ["gs1", "iso15434"]
    assert len(decode(frame)) == 1


@pytest.mark.skipif(not libdmtx.available(), reason="libdmtx0b is not installed")
def test_libdmtx_stage_keeps_fnc1_and_separators() -> None:
    img = scene(encode(GS1_HRI).to_image(module_px=5))
    assert libdmtx.decode_fnc1(img) == [(GS + GS1_RAW).encode()]
    assert libdmtx.decode_fnc1(scene(encode(MH10).to_image(module_px=5))) == [MH10.encode()]


@pytest.mark.parametrize(
    ("seed", "stage"),
    [
        (0, "zxing"),
        (354, "zxing-global"),
        (297, "zxing-fixed"),
        pytest.param(149, "libdmtx", marks=pytest.mark.skipif(not libdmtx.available(), reason="no libdmtx0b")),
    ],
)
def test_cascade_stages_on_benchmark_scenes(seed: int, stage: str) -> None:
    # Seeds found by running the cascade over 1,500 scenes: each later stage reads scenes the earlier miss.
    symbol, frame = seeded_scene(seed)
    [res] = decode(frame)
    assert (res.stage, res.raw, res.symbology_identifier) == (stage, symbol.raw, "]d2")
    assert res.part == symbol.identifier


def test_unreadable_files_raise_image_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-an-image.png"
    bad.write_text("hello")
    with pytest.raises(ImageError, match="cannot read image"):
        decode(bad)
    with pytest.raises(ImageError, match="does not exist"):
        decode(tmp_path / "missing.png")
    with pytest.raises(ImageError, match=r"frame of shape \(2, 2, 2\)"):
        to_gray(np.zeros((2, 2, 2), dtype=np.uint8))


def test_decoder_works_and_warns_once_without_libdmtx(tmp_path: Path) -> None:
    path = tmp_path / "sym.png"
    Image.fromarray(scene(encode(GS1_HRI).to_image(module_px=5))).save(path)
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    # A machine without the libdmtx0b package: ctypes finds no 'dmtx' library.
    code = textwrap.dedent(
        f"""
        import ctypes.util, warnings
        real = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None if name == "dmtx" else real(name)
        from scanner.datamatrix import decode
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            a = decode({str(blank)!r}); b = decode({str(blank)!r}); c = decode({str(path)!r})
        print(len([w for w in caught if "libdmtx is not available" in str(w.message)]), a[0].found, repr(c[0].raw))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )
    assert out.stdout.strip() == f"1 False {GS1_RAW!r}"


def test_symbol_image_and_runs_agree() -> None:
    sym = encode(GS1_HRI)
    img = sym.to_image(module_px=1, quiet_zone=0)
    rebuilt = np.zeros_like(sym.modules)
    for y, x, n in sym.to_svg_rects():
        rebuilt[y, x : x + n] = True
    assert (rebuilt == sym.modules).all()
    assert ((img == 0) == sym.modules).all()
    buf = io.BytesIO()
    Image.fromarray(sym.to_image(module_px=3)).save(buf, format="PNG")
    assert decode(Image.open(buf))[0].raw == GS1_RAW


def test_values_with_parentheses_are_encoded_through_bracketed_input() -> None:
    sym = encode("0104012345123456" + "21X(21)Y" + GS + "10L")
    assert sym.encoded == "[01]04012345123456[21]X(21)Y[10]L"
    assert sym.raw == "0104012345123456" + "21X(21)Y" + GS + "10L"
    [res] = decode(sym.to_image(module_px=4))
    assert res.part == sym.identifier


def test_payload_beyond_data_matrix_capacity_is_an_encode_error() -> None:
    from scanner.datamatrix import EncodeError
    from scanner.identifiers import to_15434

    fields = [("12V", "123456789"), ("S", "X")] + [(f"{i}Z", "a" * 100) for i in range(100, 128)]
    with pytest.raises(EncodeError) as exc:
        encode(to_15434(fields))
    assert exc.value.message.startswith("Data Matrix encoder refused '[)><RS>06<GS>12V123456789<GS>SX<GS>100Zaaa")
    assert exc.value.message.endswith(
        "Error 729: Input too long, requires too many codewords (maximum 1558) (retval: 5)"
    )
    assert isinstance(exc.value, ValidationError)
