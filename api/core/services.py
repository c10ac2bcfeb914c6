"""Long-lived objects of one API process: settings, identities, credentials, gateways and the read model.

One ``Services`` per app. Gateways are cached per member (a gateway signs with that member's key). The read
model follows committed blocks in a background thread from its checkpoint, so list and search endpoints never
scan the ledger; endpoints that must see their own write wait for the read model to reach that block.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from api.core.credentials import CredentialStore, Principal
from api.core.settings import Settings
from ledger.client import LedgerClient
from ledger.connect import committed_blocks, connect
from ledger.gateway import Gateway
from ledger.identity.network import Network, load_network
from ledger.readmodel.builder import READMODEL_FILE, ReadModel
from ledger.readmodel.queries import Queries

CREDENTIALS_FILE = "credentials.db"


@dataclass
class Services:
    """Everything a request handler may need, built once at start-up."""

    settings: Settings
    network: Network
    credentials: CredentialStore
    readmodel: ReadModel
    _gateways: dict[tuple[str, str], Gateway] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _follower: threading.Thread | None = None
    _advanced: threading.Condition = field(default_factory=threading.Condition)
    _apply_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, settings: Settings) -> Services:
        """Open everything under the settings' home and start the read-model follower."""
        home = Path(settings.home)
        svc = cls(
            settings=settings,
            network=load_network(home),
            credentials=CredentialStore(home / CREDENTIALS_FILE),
            readmodel=ReadModel(home / READMODEL_FILE),
        )
        svc._follower = threading.Thread(target=svc._follow, name="readmodel-follower", daemon=True)
        svc._follower.start()
        return svc

    @property
    def home(self) -> Path:
        """The ledger home."""
        return Path(self.settings.home)

    def gateway(self, principal: Principal) -> Gateway:
        """The gateway that signs as the principal's member (cached)."""
        key = (principal.msp_id, principal.member)
        with self._lock:
            gw = self._gateways.get(key)
            if gw is None:
                gw = connect(self.home, principal.msp_id, principal.member, backend=self.settings.backend)
                self._gateways[key] = gw
            return gw

    def client(self, principal: Principal) -> LedgerClient:
        """Chaincode calls as the principal."""
        return LedgerClient(self.gateway(principal))

    def queries(self) -> Queries:
        """Read-model queries."""
        return Queries(self.readmodel)

    def wait_for_readmodel(self, height: int, timeout: float = 10.0) -> bool:
        """Block until the read model has applied every block below ``height``."""
        deadline = time.monotonic() + timeout
        with self._advanced:
            while self.readmodel.next_block < height:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._advanced.wait(min(left, 0.1))
        return True

    def catch_up(self) -> int:
        """Apply every committed block the read model has not seen yet; returns how many.

        Safe to call from request threads while the follower runs: blocks are applied under one lock.
        """
        with self._apply_lock:
            n = self.readmodel.sync(
                lambda start: committed_blocks(self.home, start, follow=False, backend=self.settings.backend)
            )
        if n:
            with self._advanced:
                self._advanced.notify_all()
        return n

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.catch_up():
                    self._wait_for_commit()
            except Exception:
                self._stop.wait(1.0)

    def _wait_for_commit(self) -> None:
        """Sleep until this process commits a block (woken at once) or the poll interval passes.

        Commits made by other processes are seen on the next poll.
        """
        poll = self.settings.readmodel_poll_seconds
        if self.settings.backend == "embedded":
            from ledger.embedded.ledger import EmbeddedLedger

            if EmbeddedLedger.open(self.home).wait_for_block(self.readmodel.next_block + 1, poll):
                return
        self._stop.wait(poll)

    def stop(self) -> None:
        """Stop the follower and close the read model."""
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=5)
