"""Identities: MSP-style organizations, their CAs, peers and members with roles carried in the certificate.

Modules: ``config`` (network.yaml), ``policy`` (endorsement policies), ``ca`` (certificate authority), ``msp``
(init, add and revoke members on disk), ``network`` (read-only view: ``load_network``), ``signing`` (low-S
ECDSA, ``verify_signature``, ``MspValidator``), ``attrs`` (role attributes, imported by the chaincode) and
``cli`` (``usmca network``). Nothing is re-exported here so that importing ``attrs`` stays light.
"""
