"""Service settings (environment variables ``USMCA_*`` or a ``.env``-style file), validated at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the API service can be configured with; the ledger backend is a setting, not code."""

    model_config = SettingsConfigDict(env_prefix="USMCA_", env_file=None, extra="ignore")

    home: Path = Field(description="Ledger home directory (identities, ledger.db, private stores).")
    backend: str = Field("embedded", description="Ledger backend: 'embedded' (default) or 'fabric'.")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = Field("", description="Base URL printed in certificate QR codes; defaults to host:port.")
    max_body_bytes: int = Field(16 * 1024 * 1024, description="Largest accepted request body.")
    max_batch_scans: int = 5000
    readmodel_poll_seconds: float = 0.2

    @property
    def base_url(self) -> str:
        """The URL clients and QR codes use to reach this service."""
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"


def load_settings(env_file: Path | None = None, **overrides: object) -> Settings:
    """Settings from the environment, an optional file, and explicit overrides (CLI flags win)."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if env_file is not None:
        return Settings(_env_file=env_file, **values)  # type: ignore[call-arg]
    return Settings(**values)  # type: ignore[arg-type]
