#!/usr/bin/env bash
# Builds the libFuzzer targets with AddressSanitizer and runs each for the
# given number of seconds (default 900) on its seed corpus.
#   Fuzz/run.sh [SECONDS] [csv|xml|all]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-900}
which=${2:-all}
swift build -c debug --scratch-path ../.build-fuzz \
  -Xswiftc -sanitize=fuzzer,address
bin=$(swift build -c debug --scratch-path ../.build-fuzz --show-bin-path)
mkdir -p findings work/csv work/xml
for target in csv xml; do
  [ "$which" = all ] || [ "$which" = "$target" ] || continue
  name=Fuzz$(echo "$target" | tr a-z A-Z)
  cp -n corpus/$target/* work/$target/ 2>/dev/null || true
  "$bin/$name" work/$target corpus/$target -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix=findings/$target- -print_final_stats=1 2>&1 | tee "findings/$target.log" | tail -n 25
done
