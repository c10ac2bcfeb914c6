"""Part types: what a producer makes, with its tariff classification and USMCA category.

The part type carries what origin rules need (HS code, USMCA core-part family) and what scanning needs
(the GTIN). A GTIN is only accepted from the org that registered the GS1 company prefix it starts with, the
Grid rule that stops one company from minting product identities in another's number space.
"""

from __future__ import annotations

from chaincode.contracts.registry import org_must_exist
from chaincode.errors import evaluate, submit
from chaincode.fabric import TransactionContextInterface
from chaincode.state import GTIN, PART_TYPE, Tx, answer
from chaincode.validate import Fields, check_ident, normalize_gtin, normalize_hs_code, parse_object
from ledger.errors import Conflict, Forbidden, NotFound, ValidationError
from ledger.identity.attrs import Role

CATEGORIES = ("core_part", "principal", "complementary", "other")
CORE_FAMILIES = (
    "engine",
    "transmission",
    "body_chassis",
    "axle",
    "suspension",
    "steering",
    "advanced_battery",
)


async def part_type_must_exist(tx: Tx, type_id: str) -> dict:
    """The part type record; NotFound naming the id."""
    doc = await tx.get(tx.key(PART_TYPE, check_ident(type_id, "part type", "part_type")))
    if doc is None:
        raise NotFound(f"part type {type_id} does not exist", value=type_id, field="part_type")
    return doc


def _category(f: Fields) -> tuple[str, str | None]:
    category = f.choice("usmca_category", CATEGORIES)
    family = f.opt_text("core_family", max_len=32)
    if category == "core_part":
        if family not in CORE_FAMILIES:
            raise ValidationError(
                f"part type core_family {family!r} is not one of {', '.join(CORE_FAMILIES)}",
                field="core_family",
                value=family,
            )
    elif family is not None:
        raise ValidationError(
            f"part type core_family {family!r} is only allowed for usmca_category core_part, not {category}",
            field="core_family",
            value=family,
        )
    return category, family


class PartTypeTransactions:
    """RegisterPartType, GetPartType, GetPartTypeByGtin, ListPartTypes."""

    @submit
    async def RegisterPartType(self, ctx: TransactionContextInterface, part_type_json: str) -> str:
        """A producer's admin registers or updates a part type; the id defaults to ``MSP:part_number``."""
        tx = Tx(ctx)
        tx.require("register a part type", Role.ADMIN)
        f = Fields(parse_object(part_type_json, "part type"), "part type")
        producer = f.msp("producer_msp") if f.doc.get("producer_msp") is not None else tx.msp
        if producer != tx.msp:
            raise Forbidden(
                f"{tx.msp} may not register a part type produced by {producer}",
                field="producer_msp",
                value=producer,
            )
        part_number = f.ident("part_number", max_len=64)
        type_id = f.opt_ident("id") or f"{tx.msp}:{part_number}"
        category, family = _category(f)
        gtin_text = f.opt_text("gtin", max_len=14)
        doc = {
            "doc_type": "parttype",
            "id": type_id,
            "part_number": part_number,
            "description": f.text("description", max_len=512),
            "hs_code": normalize_hs_code(f.text("hs_code", max_len=16)),
            "producer_msp": producer,
            "usmca_category": category,
            "core_family": family,
            "unit": f.ident("unit", max_len=16),
            "gtin": normalize_gtin(gtin_text) if gtin_text is not None else None,
        }
        f.done()
        org = await org_must_exist(tx, tx.msp)
        key = tx.key(PART_TYPE, type_id)
        old = await tx.get(key)
        if old is not None and old["producer_msp"] != tx.msp:
            raise Conflict(f"part type {type_id} is registered by {old['producer_msp']}", field="id", value=type_id)
        gtin = doc["gtin"]
        if gtin is not None:
            prefixes = org["gs1_prefixes"]
            if not any(gtin[1:].startswith(p) for p in prefixes):
                raise Forbidden(
                    f"GTIN {gtin} does not start with a GS1 company prefix of {tx.msp} "
                    f"(registered: {', '.join(prefixes) or 'none'})",
                    field="gtin",
                    value=gtin,
                )
            owner = await tx.get(tx.key(GTIN, gtin))
            if owner is not None and owner["part_type"] != type_id:
                raise Conflict(
                    f"GTIN {gtin} already identifies part type {owner['part_type']}", field="gtin", value=gtin
                )
            if owner is None:
                await tx.put(tx.key(GTIN, gtin), {"doc_type": "gtin", "gtin": gtin, "part_type": type_id})
        if old is not None and old.get("gtin") and old["gtin"] != gtin:
            await tx.delete(tx.key(GTIN, old["gtin"]))
        doc["registered_at"] = old["registered_at"] if old else tx.now_iso
        doc["updated_at"] = tx.now_iso
        await tx.put(key, doc)
        tx.emit("PartTypeRegistered", {"part_type": type_id, "producer_msp": tx.msp, "updated": old is not None})
        return answer(doc)

    @evaluate
    async def GetPartType(self, ctx: TransactionContextInterface, part_type_id: str) -> str:
        """One part type."""
        tx = Tx(ctx)
        tx.require("read part types")
        return answer(await part_type_must_exist(tx, part_type_id))

    @evaluate
    async def GetPartTypeByGtin(self, ctx: TransactionContextInterface, gtin: str) -> str:
        """The part type a scanned GTIN (8, 12, 13 or 14 digits) identifies."""
        tx = Tx(ctx)
        tx.require("read part types")
        gtin14 = normalize_gtin(gtin)
        entry = await tx.get(tx.key(GTIN, gtin14))
        if entry is None:
            raise NotFound(f"no part type is registered for GTIN {gtin14}", field="gtin", value=gtin14)
        return answer(await part_type_must_exist(tx, entry["part_type"]))

    @evaluate
    async def ListPartTypes(self, ctx: TransactionContextInterface) -> str:
        """Every part type, by id."""
        tx = Tx(ctx)
        tx.require("read part types")
        return answer([doc for _, doc in await tx.entries(PART_TYPE)])
