#!/usr/bin/env bash
# Setup hook: the GS1 EPCIS 2.0 JSON schema (see scripts/install-epcis-schema.sh).
set -euo pipefail
bash "$(dirname "$0")/../install-epcis-schema.sh"
