"""The release's software bill of materials: `sbom.cdx.json`, CycloneDX 1.5 JSON (scripts/release.py).

It lists every distribution the zips carry (their `*.dist-info` directories, minus what the Lambda runtime
provides: package_lambdas.installed_distributions, the same list as the manifest's `dependencies`) as a
`library` component with its version, its package URL (`pkg:pypi/<name>@<version>`, the purl spec's pypi
type: lowercase, `_` as `-`) and its SHA-256: the wheel pip installed, from pip's installation report, else
every hash the lock accepts for that version. Each must be a hash the lock lists, so the SBOM never names a
file the lock would refuse.

The format is a few fixed JSON fields (CycloneDX 1.5 JSON reference, https://cyclonedx.org/docs/1.5/json/),
written here rather than with a CycloneDX library: the document is what release.py knows already, and the
release tooling stays free of another dependency. It carries no timestamp and its serialNumber is a UUID
derived from its content, so two builds of a release write the same bytes, as they do the zips.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import package_lambdas

FILE_NAME = "sbom.cdx.json"
SPEC_VERSION = "1.5"
PROJECT = "sp-reports"


class SbomError(Exception):
    """The dependency tree is not the lock's: the SBOM could not say which locked files the zips carry."""


def purl(name: str, version: str) -> str:
    """The package URL of a PyPI distribution (purl spec, type `pypi`: the name lowercased, `_` as `-`)."""
    return f"pkg:pypi/{name.lower().replace('_', '-')}@{version}"


def components(
    distributions: dict[str, str], pins: dict[str, package_lambdas.Pin], wheel_hashes: dict[str, str]
) -> list[dict]:
    """One CycloneDX component per distribution, refused when it is not the version the lock pins or its wheel
    is not a file the lock lists."""
    found = []
    for name, version in sorted(distributions.items()):
        pin = pins.get(name)
        if pin is None or pin.version != version:
            locked = f"{pin.name}=={pin.version}" if pin else "nothing"
            raise SbomError(
                f"the zips carry {name} {version}, but the lock pins {locked}: rebuild from the lock"
            )
        installed = wheel_hashes.get(name)
        if installed is not None and installed not in pin.hashes:
            raise SbomError(f"{name} {version}: the installed wheel's sha256 {installed} is not in the lock")
        hashes = [installed] if installed else list(pin.hashes)
        found.append(
            {
                "type": "library",
                "bom-ref": purl(name, version),
                "name": name,
                "version": version,
                "purl": purl(name, version),
                "hashes": [{"alg": "SHA-256", "content": digest} for digest in hashes],
            }
        )
    return found


def document(
    version: str,
    distributions: dict[str, str],
    pins: dict[str, package_lambdas.Pin],
    wheel_hashes: dict[str, str],
) -> dict:
    """The CycloneDX 1.5 BOM of a release of `version` whose zips carry `distributions`."""
    libraries = components(distributions, pins, wheel_hashes)
    root = f"pkg:generic/{PROJECT}@{version}"
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": {
            "component": {"type": "application", "bom-ref": root, "name": PROJECT, "version": version},
        },
        "components": libraries,
    }
    content = json.dumps(bom, sort_keys=True).encode()
    bom["serialNumber"] = uuid.uuid5(uuid.NAMESPACE_URL, hashlib.sha256(content).hexdigest()).urn
    return bom


def write(
    out_dir: Path,
    version: str,
    deps_dir: Path,
    pins: dict[str, package_lambdas.Pin],
    *,
    converter_deps_dir: Path | None = None,
    converter_pins: dict[str, package_lambdas.Pin] | None = None,
) -> Path:
    """Write out_dir/sbom.cdx.json for the zips built from deps_dir (and the report converter's own tree,
    pyarrow, from converter_deps_dir); its path."""
    distributions = package_lambdas.installed_distributions(deps_dir)
    wheel_hashes = package_lambdas.installed_wheel_hashes(deps_dir)
    all_pins = dict(pins)
    if converter_deps_dir is not None:
        distributions |= package_lambdas.installed_distributions(converter_deps_dir)
        wheel_hashes |= package_lambdas.installed_wheel_hashes(converter_deps_dir)
        all_pins |= converter_pins or {}
    bom = document(version, distributions, all_pins, wheel_hashes)
    destination = out_dir / FILE_NAME
    destination.write_text(json.dumps(bom, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return destination
