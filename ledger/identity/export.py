"""Split a network home per organization, for deployments where each org keeps its own keys.

``usmca network init`` creates every org's CA and keys in one home, which suits the single-node demo. In a
real deployment each org runs its own node: :func:`export_org` writes a home holding the whole network's
public material (network.yaml, CA and member certificates, CRLs) but only the chosen org's private keys. The
exported home loads with :func:`ledger.identity.network.load_network`; signing as another org's member there
fails with NotFound, and only the chosen org can issue or revoke its members.
"""

from __future__ import annotations

from pathlib import Path

from ledger.errors import Conflict
from ledger.identity import layout
from ledger.identity.ca import write_private, write_public
from ledger.identity.network import Network, load_network

#: File names that hold private keys in the MSP layout (CA keys, keystores, TLS server keys).
PRIVATE_FILES = frozenset({layout.KEY_FILE, "server.key"})


def export_org(home: Path, msp_id: str, dest: Path) -> Network:
    """Copy ``home``'s network into the new home ``dest`` with private keys of ``msp_id`` only.

    Private keys are re-created with mode 0600 (never copied with their permissions widened first).
    """
    home, dest = Path(home), Path(dest)
    network = load_network(home)
    network.org(msp_id)
    if dest.exists() and any(dest.iterdir()):
        raise Conflict(f"{dest} is not empty; export into a new directory", value=str(dest))
    source_orgs = home / "orgs"
    for path in sorted(source_orgs.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(source_orgs)
        owner = rel.parts[0]
        target = dest / "orgs" / rel
        if path.name in PRIVATE_FILES or path.parent.name == "keystore":
            if owner == msp_id:
                write_private(target, path.read_bytes())
            continue
        write_public(target, path.read_bytes())
    write_public(layout.network_file(dest), layout.network_file(home).read_bytes())
    return load_network(dest)
