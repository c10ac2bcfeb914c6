"""Identities: MSP-style organizations, their CAs, peers and members with roles carried in the certificate."""
