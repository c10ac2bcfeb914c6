"""A station's configuration: who it is on the ledger, what its reads mean in EPCIS, and where they go.

Installers keep one file per station (TOML, YAML or JSON, with the field names below) and override single values
with command-line flags; both end in one validated :class:`StationConfig`, so a typo in either fails at start-up
with the offending field and value instead of at the first read.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ledger.bootstrap import read_point_uri
from ledger.errors import LedgerError, ParseError, ValidationError
from scanner.epcis import cbv

Mode = Literal["observe", "assemble"]


class StationConfig(BaseModel):
    """Everything a station agent needs besides its read source.

    Attributes:
        org: MSP id of the station's organization (e.g. ``SupplierMSP``).
        member: The station's member identity in that org (its certificate carries the station id).
        station_id: The station id registered on the ledger.
        read_point: EPCIS readPoint; defaults to the one ``usmca`` bootstrap registers for the station.
        biz_location: EPCIS bizLocation (where parts are after the read), if any.
        biz_step: CBV business step of each read (default ``inspecting``, ``assembling`` in assemble mode). It is
            always sent, so the event the station hashes and the scan the ledger stores carry the same step.
        disposition: CBV disposition after the read, if any.
        mode: ``observe`` (one ObjectEvent per read) or ``assemble`` (parent then children -> TransformationEvent).
        dedupe_window: Seconds during which repeated reads of one code are the same event.
        batch_size: Events per ledger transaction.
        assemble_count: Children per assembly (assemble mode ends an assembly after this many).
        terminator: Scanned text that ends an assembly (assemble mode), e.g. a printed "DONE" barcode.
        home: Ledger home for the direct embedded-ledger sink.
        api_url: Base URL of the HTTP API (the API sink), instead of ``home``.
        token: Bearer token for the API sink.
        outbox: The outbox file; defaults to ``station-<station_id>.outbox.db`` in the working directory.
        answer_wait: Seconds an operator line waits for the ledger's verdict before saying "stored, sending".
        drain_seconds: Seconds a shutdown keeps delivering what is pending.
        backoff_max: Longest wait between delivery attempts while the ledger is unreachable.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    org: str = Field(min_length=1)
    member: str = Field(min_length=1)
    station_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    read_point: str | None = None
    biz_location: str | None = None
    biz_step: str | None = None
    disposition: str | None = None
    mode: Mode = "observe"
    dedupe_window: float = Field(default=2.0, ge=0, le=86400)
    batch_size: int = Field(default=500, ge=1, le=5000)
    assemble_count: int | None = Field(default=None, ge=1, le=1000)
    terminator: str | None = Field(default=None, min_length=1)
    home: Path | None = None
    api_url: str | None = Field(default=None, pattern=r"^https?://")
    token: str | None = None
    outbox: Path | None = None
    answer_wait: float = Field(default=3.0, ge=0, le=600)
    drain_seconds: float = Field(default=3.0, ge=0, le=600)
    backoff_max: float = Field(default=5.0, gt=0, le=3600)

    @pydantic.model_validator(mode="before")
    @classmethod
    def _default_step(cls, data: Any) -> Any:
        """Fill the business step from the mode when none was given."""
        if isinstance(data, dict) and data.get("biz_step") is None:
            data = {**data, "biz_step": "assembling" if data.get("mode") == "assemble" else "inspecting"}
        return data

    @field_validator("biz_step", "disposition", "read_point", "biz_location")
    @classmethod
    def _epcis_value(cls, value: str | None, info: pydantic.ValidationInfo) -> str | None:
        """Refuse at start-up what every read's EPCIS event would refuse."""
        if value is None:
            return None
        try:
            if info.field_name == "biz_step":
                cbv.biz_step(value)
            elif info.field_name == "disposition":
                cbv.disposition(value)
            elif not cbv.is_absolute_uri(value):
                raise ValueError(f"{value!r} is not an absolute URI")
        except LedgerError as err:
            raise ValueError(err.message) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> StationConfig:
        if (self.home is None) == (self.api_url is None):
            raise ValueError("give exactly one sink: a ledger home or an API URL")
        if self.api_url is not None and not self.token:
            raise ValueError(f"the API sink {self.api_url} needs a token")
        if self.mode == "assemble" and self.assemble_count is None and self.terminator is None:
            raise ValueError("assemble mode needs assemble_count or terminator to know when an assembly ends")
        return self

    @property
    def effective_read_point(self) -> str:
        """The read point sent with every scan."""
        return self.read_point or read_point_uri(self.org, self.station_id)

    @property
    def outbox_path(self) -> Path:
        """Where the outbox file lives."""
        return self.outbox or Path(f"station-{self.station_id}.outbox.db")


def read_config_file(path: Path) -> dict[str, Any]:
    """The key/value pairs of a station config file (``.toml``, ``.yaml``/``.yml`` or ``.json``)."""
    text = Path(path).read_text(encoding="utf-8")
    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise ValidationError(
                f"station config {path} must end in .toml, .yaml, .yml or .json", value=str(path), field="config"
            )
    except (tomllib.TOMLDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ParseError(f"station config {path} cannot be read: {exc}", value=str(path), field="config") from None
    if not isinstance(data, dict):
        raise ParseError(f"station config {path} must hold a table of settings", value=str(path), field="config")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def build_config(file: Path | None = None, **overrides: Any) -> StationConfig:
    """A validated config from an optional file plus overrides (None overrides are ignored: the file wins)."""
    data = read_config_file(file) if file is not None else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return StationConfig.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ())) or "config"
        value = err.get("input")
        shown = "" if where == "config" else f" {where}={value!r}"
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        raise ValidationError(f"station config{shown}: {msg}", value=str(value)[:100], field=where) from None
