#!/usr/bin/env bash
# Formats every Swift file in place with the toolchain's swift-format and the
# checked-in .swift-format.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format format --in-place --recursive --parallel Package.swift Sources Tests Fuzz/Package.swift Fuzz/Sources
