"""The one place that imports fabric-chaincode-python, leaving the process's logging as it found it.

fabric-chaincode-python 2.5.4 calls ``logging.basicConfig(level=DEBUG)`` when imported, hangs a queue handler
on the ``asyncio`` logger and starts a listener thread, then logs every peer message at INFO. A library that
re-configures its host process breaks the CLI, the API server and the test output, so we import it here,
undo exactly what it added, and keep its logger at WARNING. Every other chaincode module imports the contract
API from here, never from the library directly.
"""

from __future__ import annotations

import logging
import sys
from types import ModuleType

#: The logger the library writes to (it borrows the ``asyncio`` one).
LIBRARY_LOGGER = "asyncio"
_SHIM_LOGGING = "fabric_chaincode_python.fabric_shim.logging"


def _import_quietly() -> ModuleType:
    """Import the contract API and restore the root logger's handlers and level afterwards."""
    already = _SHIM_LOGGING in sys.modules
    root = logging.getLogger()
    lib = logging.getLogger(LIBRARY_LOGGER)
    root_handlers, root_level = list(root.handlers), root.level
    lib_handlers = list(lib.handlers)

    from fabric_chaincode_python import fabric_contract_api
    from fabric_chaincode_python.fabric_shim import handler, response, stub  # noqa: F401  (for chaincode.server)

    if not already:
        for handler in root.handlers[:]:
            if handler not in root_handlers:
                root.removeHandler(handler)
        root.setLevel(root_level)
        for handler in lib.handlers[:]:
            if handler not in lib_handlers:
                lib.removeHandler(handler)
        listener = getattr(sys.modules[_SHIM_LOGGING], "_QUEUE_LISTENER", None)
        if listener is not None and getattr(listener, "_thread", None) is not None:
            listener.stop()
    lib.setLevel(logging.WARNING)
    return fabric_contract_api


_api = _import_quietly()

_shim = sys.modules["fabric_chaincode_python.fabric_shim"]

Contract = _api.Contract
ContractChaincode = _api.ContractChaincode
JSONSerializer = _api.JSONSerializer
TransactionContextInterface = _api.TransactionContextInterface
TransactionContext = _api.TransactionContext
#: The shim pieces the chaincode server subclasses or uses (chaincode/server.py).
ShimHandler = _shim.handler.Handler
ShimStates = _shim.handler.STATES
ShimStub = _shim.stub.ChaincodeStub
ResponseCode = _shim.response.ResponseCode
new_error_msg = _shim.response.new_error_msg

__all__ = [
    "LIBRARY_LOGGER",
    "Contract",
    "ContractChaincode",
    "JSONSerializer",
    "ResponseCode",
    "ShimHandler",
    "ShimStates",
    "ShimStub",
    "TransactionContext",
    "TransactionContextInterface",
    "new_error_msg",
]
