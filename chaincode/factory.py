"""The chaincode object: one contract, ``provenance``, assembled from the transaction groups.

One contract keeps wire names un-prefixed (``RecordScan``, not ``parts:RecordScan``) for every client,
while each group of transactions lives in its own module. The same object runs in the embedded ledger
(``await build_chaincode().invoke(stub)``) and as a chaincode-as-a-service on a Fabric peer.
"""

from __future__ import annotations

import inspect

from chaincode.contracts.assembly import AssemblyTransactions
from chaincode.contracts.certifications import CertificationTransactions
from chaincode.contracts.custody import CustodyTransactions
from chaincode.contracts.origin_certificates import OriginCertificateTransactions
from chaincode.contracts.parts import PartTransactions
from chaincode.contracts.parttypes import PartTypeTransactions
from chaincode.contracts.registry import RegistryTransactions
from chaincode.contracts.scans import ScanTransactions
from chaincode.contracts.solicitations import SolicitationTransactions
from chaincode.errors import tx_kind
from chaincode.fabric import Contract, ContractChaincode
from chaincode.serializer import StringPassthroughSerializer

CONTRACT_NAME = "provenance"


class ProvenanceContract(
    RegistryTransactions,
    PartTypeTransactions,
    PartTransactions,
    AssemblyTransactions,
    ScanTransactions,
    CustodyTransactions,
    CertificationTransactions,
    SolicitationTransactions,
    OriginCertificateTransactions,
    Contract,
):
    """Every transaction of the USMCA provenance chaincode."""

    Name = CONTRACT_NAME

    def get_evaluate_transactions(self) -> list[str]:
        """Read-only transactions, tagged EVALUATE in the contract metadata."""
        return [name for name, kind in transactions().items() if kind == "evaluate"]


def transactions() -> dict[str, str]:
    """Wire name -> "submit" or "evaluate" for every transaction of the contract."""
    out: dict[str, str] = {}
    for name, fn in inspect.getmembers(ProvenanceContract, inspect.isfunction):
        kind = tx_kind(fn)
        if kind is not None:
            out[name] = kind
    return out


def build_chaincode() -> ContractChaincode:
    """A ready-to-run chaincode (contract metadata reflected and schemas compiled once, here)."""
    cc = ContractChaincode.new_chaincode(ProvenanceContract())
    cc.TransactionSerializer = StringPassthroughSerializer()
    return cc
