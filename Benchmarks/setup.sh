#!/usr/bin/env bash
# Installs what the benchmark compares against: libxml2's xmllint and the
# sqlite3 shell, from Debian's packages.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends libxml2-utils sqlite3 time postgresql postgresql-client >/dev/null
