#!/usr/bin/env bash
# Builds the libFuzzer targets with AddressSanitizer and runs each for the
# given number of seconds (default 900) on its seed corpus.
#   Fuzz/run.sh [SECONDS] [csv|xml|xlsx|dialect|all]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-900}
which=${2:-all}
swift build -c debug --scratch-path ../.build-fuzz \
  -Xswiftc -sanitize=fuzzer,address
bin=$(swift build -c debug --scratch-path ../.build-fuzz --show-bin-path)
mkdir -p findings
# Known leaks of third-party code only (each explained in the file).
export LSAN_OPTIONS="suppressions=$PWD/lsan-suppressions.txt${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
for target in csv xml xlsx dialect; do
  [ "$which" = all ] || [ "$which" = "$target" ] || continue
  case $target in
    dialect) name=FuzzDialect ;;
    *) name=Fuzz$(echo "$target" | tr a-z A-Z) ;;
  esac
  mkdir -p work/$target
  cp -n corpus/$target/* work/$target/ 2>/dev/null || true
  "$bin/$name" work/$target corpus/$target -max_total_time="$seconds" -max_len=$([ "$target" = xlsx ] && echo 262144 || echo 65536) -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix=findings/$target- -print_final_stats=1 2>&1 | tee "findings/$target.log" | tail -n 25
done
