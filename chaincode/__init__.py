"""The provenance chaincode, written on the Fabric contract API for Python (fabric-chaincode-python 2.5.4).

``build_chaincode()`` returns the :class:`ContractChaincode` that the embedded ledger invokes with its
simulation stub and that a Fabric peer runs as a chaincode service. See docs/chaincode.md for every
transaction, its arguments, who may call it, its errors, and the keys and JSON documents it writes.
"""

from __future__ import annotations

from chaincode.factory import CONTRACT_NAME, build_chaincode, transactions

__all__ = ["CONTRACT_NAME", "build_chaincode", "transactions"]
