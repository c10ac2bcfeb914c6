"""Endorsement policies as Fabric protobufs, for the chaincode definition on a real Fabric network.

Fabric's lifecycle takes the endorsement policy as ``validation_parameter`` = ``ApplicationPolicy`` wrapping a
``SignaturePolicyEnvelope``. We build it the way Fabric's ``policydsl.FromString`` does (version 0, one
``MSPPrincipal`` per principal occurrence, in order of appearance, rules referring to them by index), so the
bytes match what ``peer lifecycle chaincode approveformyorg --signature-policy`` would send.
"""

from __future__ import annotations

from fabric_protos.common import policies_pb2
from fabric_protos.msp import msp_principal_pb2
from fabric_protos.peer import policy_pb2

from ledger.identity.policy import OutOf, Policy, Principal, Rule

_ROLES = {"member": msp_principal_pb2.MSPRole.MEMBER, "peer": msp_principal_pb2.MSPRole.PEER}


def _rule(rule: Rule, identities: list[msp_principal_pb2.MSPPrincipal]) -> policies_pb2.SignaturePolicy:
    if isinstance(rule, Principal):
        role = msp_principal_pb2.MSPRole(msp_identifier=rule.msp_id, role=_ROLES[rule.role])
        identities.append(
            msp_principal_pb2.MSPPrincipal(
                principal_classification=msp_principal_pb2.MSPPrincipal.ROLE, principal=role.SerializeToString()
            )
        )
        return policies_pb2.SignaturePolicy(signed_by=len(identities) - 1)
    assert isinstance(rule, OutOf)
    rules = [_rule(r, identities) for r in rule.rules]
    return policies_pb2.SignaturePolicy(n_out_of=policies_pb2.SignaturePolicy.NOutOf(n=rule.n, rules=rules))


def signature_policy_envelope(policy: Policy) -> policies_pb2.SignaturePolicyEnvelope:
    """The policy as Fabric's ``SignaturePolicyEnvelope`` (MAJORITY/ANY/ALL expanded to explicit rules)."""
    identities: list[msp_principal_pb2.MSPPrincipal] = []
    rule = _rule(policy.rule, identities)
    return policies_pb2.SignaturePolicyEnvelope(version=0, rule=rule, identities=identities)


def application_policy_bytes(policy: Policy) -> bytes:
    """The ``validation_parameter`` of a chaincode definition: ``ApplicationPolicy{signature_policy}``."""
    return policy_pb2.ApplicationPolicy(signature_policy=signature_policy_envelope(policy)).SerializeToString()
