"""Step 1 of the event hash: bare CBV words become the web URIs JSON-LD expansion gives them.

The reference implementation expands the document with the EPCIS JSON-LD context, collects every expanded
value under ``https://ref.gs1.org/cbv`` or ``https://gs1.org/voc`` and then replaces *any* string value of the
event that is the last ``-`` or ``/`` segment of exactly one of them. We compute the same pool without a
JSON-LD processor, from the positions the EPCIS context types as ``@vocab`` plus every literal that already
is such a URI, and apply the same replacement rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from scanner.epcis import cbv

GS1_VOC = "https://gs1.org/voc/"
_PAIR_LISTS = ("sourceList", "destinationList", "bizTransactionList")

_SENSOR_TYPES = frozenset(
    [
        "AbsoluteHumidity",
        "AbsorbedDose",
        "AbsorbedDoseRate",
        "Acceleration",
        "Radioactivity",
        "Altitude",
        "AmountOfSubstance",
        "AmountOfSubstancePerUnitVolume",
        "Angle",
        "AngularAcceleration",
        "AngularMomentum",
        "AngularVelocity",
        "Area",
        "Capacitance",
        "Conductance",
        "Conductivity",
        "Count",
        "Density",
        "Dimensionless",
        "DoseEquivalent",
        "DoseEquivalentRate",
        "DynamicViscosity",
        "ElectricCharge",
        "ElectricCurrent",
        "ElectricCurrentDensity",
        "ElectricFieldStrength",
        "Energy",
        "Exposure",
        "Force",
        "Frequency",
        "Illuminance",
        "Inductance",
        "Irradiance",
        "KinematicViscosity",
        "Length",
        "LinearMomentum",
        "Luminance",
        "LuminousFlux",
        "LuminousIntensity",
        "MagneticFlux",
        "MagneticFluxDensity",
        "MagneticVectorPotential",
        "Mass",
        "MassConcentration",
        "MassFlowRate",
        "MassPerAreaTime",
        "MemoryCapacity",
        "MolalityOfSolute",
        "MolarEnergy",
        "MolarMass",
        "MolarVolume",
        "Power",
        "Pressure",
        "RadiantFlux",
        "RadiantIntensity",
        "RelativeHumidity",
        "Resistance",
        "Resistivity",
        "SolidAngle",
        "SpecificVolume",
        "Speed",
        "SurfaceDensity",
        "SurfaceTension",
        "Temperature",
        "Time",
        "Torque",
        "Voltage",
        "Volume",
        "VolumeFlowRate",
        "VolumeFraction",
        "VolumetricFlux",
        "Wavenumber",
    ]
)
_COMPONENTS = frozenset(
    [
        "x",
        "y",
        "z",
        "axial_distance",
        "azimuth",
        "height",
        "spherical_radius",
        "polar_angle",
        "elevation_angle",
        "easting",
        "northing",
        "latitude",
        "longitude",
        "altitude",
    ]
)


def expand_vocab(value: Any, words: frozenset[str], prefix: str) -> Any:
    """What JSON-LD expansion makes of a value in an ``@type: @vocab`` position of the EPCIS context."""
    if not isinstance(value, str):
        return value
    if value in words:
        return prefix + value
    if value.startswith("cbv:"):
        return cbv.CBV_BASE + value[4:]
    if value.startswith("gs1:"):
        return GS1_VOC + value[4:]
    return value


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)
    elif isinstance(value, dict):
        for key, item in value.items():
            if ":" in key or key in _CONTEXT_TERMS:
                _strings(item, out)


_CONTEXT_TERMS = frozenset(
    [
        "type",
        "id",
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "action",
        "certificationInfo",
        "bizStep",
        "disposition",
        "bizLocation",
        "readPoint",
        "transformationID",
        "epcList",
        "sourceList",
        "destinationList",
        "persistentDisposition",
        "quantity",
        "epcClass",
        "uom",
        "quantityList",
        "bizTransactionList",
        "parentID",
        "childEPCs",
        "childQuantityList",
        "inputEPCList",
        "outputEPCList",
        "inputQuantityList",
        "outputQuantityList",
        "sensorElementList",
        "errorDeclaration",
        "eventID",
        "ilmd",
        "source",
        "destination",
        "bizTransaction",
        "set",
        "unset",
        "sensorMetadata",
        "sensorReport",
        "deviceID",
        "deviceMetadata",
        "rawData",
        "dataProcessingMethod",
        "time",
        "startTime",
        "endTime",
        "bizRules",
        "exception",
        "coordinateReferenceSystem",
        "microorganism",
        "chemicalSubstance",
        "value",
        "component",
        "stringValue",
        "booleanValue",
        "hexBinaryValue",
        "uriValue",
        "minValue",
        "maxValue",
        "meanValue",
        "sDev",
        "percRank",
        "percValue",
        "reason",
        "correctiveEventIDs",
        "declarationTime",
        "member",
        "children",
    ]
)


def expanded_cbv_values(event: Mapping[str, Any]) -> frozenset[str]:
    """The CBV / GS1-voc URIs JSON-LD expansion of this event yields (the reference's replacement pool)."""
    found: list[str] = []
    for key, item in event.items():
        if key == "bizStep":
            found.append(expand_vocab(item, cbv.BIZ_STEPS, cbv.BIZ_STEP.uri_prefix))
        elif key == "disposition":
            found.append(expand_vocab(item, cbv.DISPOSITIONS, cbv.DISPOSITION.uri_prefix))
        elif key == "persistentDisposition" and isinstance(item, dict):
            for part in ("set", "unset"):
                values = item.get(part, [])
                for v in values if isinstance(values, list) else [values]:
                    found.append(expand_vocab(v, cbv.DISPOSITIONS, cbv.DISPOSITION.uri_prefix))
            _strings({k: v for k, v in item.items() if k not in ("set", "unset")}, found)
        elif key in _PAIR_LISTS and isinstance(item, list):
            vocab = cbv.BIZ_TRANSACTION_TYPE if key == "bizTransactionList" else cbv.SOURCE_DEST_TYPE
            for entry in item:
                if isinstance(entry, dict):
                    for k, v in entry.items():
                        if k == "type":
                            found.append(expand_vocab(v, vocab.words, vocab.uri_prefix))
                        elif ":" in k or k in _CONTEXT_TERMS:
                            _strings(v, found)
        elif key == "errorDeclaration" and isinstance(item, dict):
            for k, v in item.items():
                if k == "reason":
                    found.append(expand_vocab(v, cbv.ERROR_REASONS, cbv.ERROR_REASON.uri_prefix))
                elif ":" in k or k in _CONTEXT_TERMS:
                    _strings(v, found)
        elif key == "sensorElementList" and isinstance(item, list):
            _sensor_strings(item, found)
        elif ":" in key or key in _CONTEXT_TERMS:
            _strings(item, found)
    return frozenset(
        v for v in found if isinstance(v, str) and (v.startswith(cbv.CBV_BASE[:-1]) or v.startswith(GS1_VOC[:-1]))
    )


def _sensor_strings(elements: list[Any], found: list[str]) -> None:
    for element in elements:
        if not isinstance(element, dict):
            continue
        for key, value in element.items():
            if key != "sensorReport":
                if ":" in key or key in _CONTEXT_TERMS:
                    _strings(value, found)
                continue
            for report in value if isinstance(value, list) else [value]:
                if not isinstance(report, dict):
                    continue
                for k, v in report.items():
                    if k == "type":
                        found.append(expand_vocab(v, _SENSOR_TYPES, GS1_VOC))
                    elif k == "exception":
                        found.append(expand_vocab(v, frozenset({"ALARM_CONDITION", "ERROR_CONDITION"}), GS1_VOC))
                    elif k == "component":
                        found.append(expand_vocab(v, _COMPONENTS, cbv.CBV_BASE + "Comp-"))
                    elif ":" in k or k in _CONTEXT_TERMS:
                        _strings(v, found)


@lru_cache(maxsize=1024)
def suffix_index(pool: frozenset[str]) -> dict[str, str | None]:
    """Map each '-'/'/'-suffix to the one pool URI ending with it (None when ambiguous)."""
    index: dict[str, str | None] = {}
    for uri in sorted(pool):
        seen: set[str] = set()
        for pos, ch in enumerate(uri):
            if ch in "-/":
                suffix = uri[pos + 1 :]
                if suffix in seen:
                    continue
                seen.add(suffix)
                index[suffix] = uri if suffix not in index else None
    return index


def replace_bare(value: Any, index: dict[str, str | None]) -> Any:
    """A copy of ``value`` with every string found in ``index`` replaced by its CBV URI."""
    if isinstance(value, str):
        return index.get(value) or value
    if isinstance(value, list):
        return [replace_bare(v, index) for v in value]
    if isinstance(value, dict):
        return {k: replace_bare(v, index) for k, v in value.items()}
    return value
