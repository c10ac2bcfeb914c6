"""``python -m chaincode serve ...``: run the chaincode service on a host without the ``usmca`` command."""

from __future__ import annotations

from chaincode.cli import chaincode_app

if __name__ == "__main__":
    chaincode_app(prog_name="python -m chaincode")
