"""Where identity files live in a home directory: Fabric MSP folders, as cryptogen lays them out.

``home/orgs/<MSP>/`` holds ``ca/`` and ``tlsca/`` (certificate and ``priv_sk``), the org's verifying
``msp/``, ``peers/<peer>/{msp,tls}``, ``users/<name>/msp`` and, for the orderer org,
``orderers/<node>/{msp,tls}``. A Fabric peer or client pointed at one of these ``msp`` folders
(``mspConfigPath``) works unchanged.
"""

from __future__ import annotations

from pathlib import Path

NETWORK_FILE = "network.yaml"
LOCK_FILE = ".network.lock"
CA_CERT = "ca-cert.pem"
TLSCA_CERT = "tlsca-cert.pem"
KEY_FILE = "priv_sk"
SIGNCERT = "cert.pem"


def network_file(home: Path) -> Path:
    """The normalized network.yaml of a home."""
    return home / NETWORK_FILE


def org_dir(home: Path, msp_id: str) -> Path:
    """Root folder of one org."""
    return home / "orgs" / msp_id


def ca_dir(home: Path, msp_id: str) -> Path:
    """The org's signing CA (certificate and private key)."""
    return org_dir(home, msp_id) / "ca"


def tlsca_dir(home: Path, msp_id: str) -> Path:
    """The org's TLS CA."""
    return org_dir(home, msp_id) / "tlsca"


def peer_dir(home: Path, msp_id: str, peer: str) -> Path:
    """A peer's folder (``msp/`` and ``tls/``)."""
    return org_dir(home, msp_id) / "peers" / peer


def orderer_dir(home: Path, msp_id: str, node: str) -> Path:
    """An orderer node's folder (``msp/`` and ``tls/``)."""
    return org_dir(home, msp_id) / "orderers" / node


def user_dir(home: Path, msp_id: str, name: str) -> Path:
    """A member's folder (``msp/``)."""
    return org_dir(home, msp_id) / "users" / name


def crl_file(home: Path, msp_id: str) -> Path:
    """The org's certificate revocation list, in its verifying MSP folder (Fabric reads ``msp/crls``)."""
    return org_dir(home, msp_id) / "msp" / "crls" / "crl.pem"


def signcert(msp: Path) -> Path:
    """The identity certificate inside an MSP folder."""
    return msp / "signcerts" / SIGNCERT


def keystore(msp: Path) -> Path:
    """The private key inside an MSP folder."""
    return msp / "keystore" / KEY_FILE
