#!/usr/bin/env bash
# tests/ops/test_alerts.sh - the Prometheus alert rules of docs/ops/ (issue 12, O3/O4):
#   1. every jiayuan_* metric the rules use is one that src/ exports (no alert on a name
#      /metrics never shows, which would stay silent forever);
#   2. `promtool check rules docs/ops/alerts.yml`;
#   3. `promtool test rules docs/ops/alerts.test.yml` (JiayuanDown, JiayuanHighErrorRate).
# Exit 77 (ctest: skipped) with a message when promtool is missing (Debian: prometheus).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
fail=0
for m in $(grep -o 'jiayuan_[a-z_]*' docs/ops/alerts.yml | sort -u); do
  base=${m%_bucket}
  if ! grep -rqF "$base" src/; then
    echo "test_alerts: FAIL metric $m is not exported by src/"
    fail=1
  fi
done
[ $fail -eq 0 ] && echo "test_alerts: every metric in the rules is exported"
if ! command -v promtool >/dev/null 2>&1; then
  echo "test_alerts: SKIP promtool not installed (apt-get install prometheus)"
  [ $fail -eq 0 ] && exit 77 || exit 1
fi
promtool check rules docs/ops/alerts.yml || fail=1
(cd docs/ops && promtool test rules alerts.test.yml) || fail=1
exit $fail
