"""Transaction groups (one concept per module), combined into one contract by :mod:`chaincode.factory`."""
