#!/usr/bin/env bash
# Fails when a Swift file is not formatted as scripts/format.sh would leave it
# or breaks a rule of .swift-format (force unwraps, force try, import order).
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict --recursive --parallel Package.swift Sources Tests Fuzz/Package.swift Fuzz/Sources
