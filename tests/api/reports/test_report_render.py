"""Report renderers: JSON (stable), CSV (parsable, one row per item), PDF (rendered to PNG)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess

import pytest
from PIL import Image

from api.reports import report_to_csv, report_to_json, report_to_pdf, vehicle_report
from tests.api.reports.test_report_build import vehicle

ON = dt.date(2025, 3, 1)


def failing_report():
    """Steel 60 % fails (60 < 70) and seats' certificate is revoked -> RVC 76.67 and a what-if entry."""
    v = vehicle(seats_cert="C-BAD")
    v["request"]["steel"] = {"purchases": "100", "originating": "60"}
    return vehicle_report(v, on=ON)


def test_json_is_stable():
    one, two = report_to_json(failing_report()), report_to_json(failing_report())
    assert one == two
    data = json.loads(one)
    assert (data["qualifies"], data["answer"]["tests"][2]["name"], data["answer"]["tests"][2]["passed"]) == (
        False,
        "steel",
        False,
    )


def test_csv_rows():
    rows = list(csv.DictReader(io.StringIO(report_to_csv(failing_report()))))
    by = {(r["section"], r["name"]): r for r in rows}
    assert by[("summary", "qualifies")]["passed"] == "no"
    assert by[("test", "steel")]["value"] == "60"
    assert by[("test", "steel")]["required"] == "70"
    assert by[("core_part", "engine")]["value"] == "90"  # (5000 - 500) / 5000
    assert by[("supplier", "Seat Co")]["value"] == "revoked"
    assert by[("missing_evidence", "seats")]["detail"] == "counted as non-originating"
    assert by[("what_if", "also_needed")]["detail"].startswith("steel: 60 / 100 x 100 = 60 < 70")


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_renders(tmp_path):
    pdf = report_to_pdf(failing_report())
    src = tmp_path / "r.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(src), str(tmp_path / "r")], check=True)
    assert Image.open(tmp_path / "r.png").size == (660, 510)  # landscape Letter at 60 dpi
    text = subprocess.run(["pdftotext", "-raw", str(src), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for needle in (
        "DOES NOT QUALIFY",
        "Tests",
        "Core parts",
        "Supplier certifications",
        "Seat Co",
        "revoked",
        "What-if",
    ):
        assert needle in flat, needle
