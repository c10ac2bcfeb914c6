"""The channel's root of trust, read from the genesis block: MSP root certificates and the endorsement policy.

Validation and ``verify`` trust only what block 0 says, never the identity files on disk, so a ledger file can be
verified on another machine and a swapped CA certificate in the home directory cannot make forged transactions
look valid.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from ledger.embedded.store import Store
from ledger.errors import LedgerFormatError, ValidationError
from ledger.identity.attrs import Role, identity_from_cert
from ledger.identity.network import Network
from ledger.identity.policy import Policy, parse_policy
from ledger.identity.signing import MspValidator, verify_signature

#: The ledger's byte format, recorded in block 0 (so it is covered by the hash chain). 1: JSON envelopes
#: (session 1); 2: binary-framed proposal arguments, answers, written values and endorsements.
GENESIS_VERSION = 2


def genesis_config(network: Network) -> dict[str, Any]:
    """The channel configuration written into block 0."""
    return {
        "version": GENESIS_VERSION,
        "channel": network.channel,
        "endorsement_policy": network.endorsement_policy,
        "msps": {org.msp_id: {"name": org.name, "root_cert": org.ca_cert_pem.decode()} for org in network.orgs},
    }


class _TxClock:
    """The time certificate validity is judged at: the transaction's own timestamp while validating it.

    Judging at the proposal time (not "now") makes validation replayable: ``verify`` years later reaches the
    same verdict as the committer did, even after the certificates have expired.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self) -> float:
        at = getattr(self._local, "at", None)
        return time.time() if at is None else at

    def set(self, at: float | None) -> None:
        self._local.at = at


@dataclass
class ChannelTrust:
    """Implements ``validator.Trust`` from the genesis configuration."""

    channel: str
    msp_ids: tuple[str, ...]
    policy: Policy
    validator: MspValidator
    clock: _TxClock

    @classmethod
    def from_config(cls, config: dict[str, Any], crls: dict[str, bytes] | None = None) -> ChannelTrust:
        """Build from a genesis configuration dictionary and, for live validation, current revocation lists.

        Revocation is not retroactive: ``verify`` replays with the genesis roots only, so transactions a member
        made before being revoked stay valid, while the live ledger refuses anything new from that member.
        """
        version = config.get("version")
        if version != GENESIS_VERSION:
            raise LedgerFormatError(
                f"ledger format {version} (in its genesis block) is not the format {GENESIS_VERSION} this version "
                "reads and writes; create the ledger again, or read it with the version that wrote it",
                field="version",
                value=version,
            )
        roots = {msp: v["root_cert"].encode() for msp, v in config["msps"].items()}
        msp_ids = tuple(sorted(roots))
        clock = _TxClock()
        policy = parse_policy(config["endorsement_policy"], msp_ids)
        return cls(config["channel"], msp_ids, policy, MspValidator(roots, crls=crls, clock=clock), clock)

    @classmethod
    def from_genesis(cls, store: Store, crls: dict[str, bytes] | None = None) -> ChannelTrust:
        """Read block 0 of a ledger file."""
        txs = store.block_txs(0)
        if not txs:
            raise ValidationError(f"{store.path} has no genesis block", value=str(store.path))
        return cls.from_config(json.loads(txs[0].envelope), crls)

    def member_ok(self, msp_id: str, cert: bytes, at: float | None = None) -> bool:
        """Issued by the org's root and valid at ``at`` (a transaction's timestamp; None means now)."""
        if msp_id not in self.msp_ids:
            return False
        self.clock.set(at)
        try:
            return self.validator.validate(msp_id, cert)
        finally:
            self.clock.set(None)

    def peer_ok(self, msp_id: str, cert: bytes, at: float | None = None) -> bool:
        """A member certificate whose role is peer."""
        if not self.member_ok(msp_id, cert, at):
            return False
        try:
            return identity_from_cert(msp_id, cert).role is Role.PEER
        except Exception:
            return False

    def verify(self, cert: bytes, data: bytes, signature: bytes) -> bool:
        """Low-S ECDSA signature check."""
        return verify_signature(cert, data, signature)

    def policy_satisfied(self, msp_ids: set[str]) -> bool:
        """Evaluate the endorsement policy over the endorsing orgs."""
        return self.policy.satisfied(msp_ids)
