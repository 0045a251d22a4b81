#!/usr/bin/env bash
# tests/security/sqlmap.sh - SQL injection scan of every endpoint that takes input with
# Debian's sqlmap at --level 5 --risk 3 (issue 12 "Evidence", S5). NOT part of `make test`:
# a full run takes hours. Results go to docs/security/mlps-l3.md by hand (the lead records
# each run there: endpoints, duration, findings).
#
#   tests/security/sqlmap.sh [--bin B] [--only REGEX] [--max N] [--level L] [--risk R]
#                            [--per-target-timeout S] [--out DIR] [--keep]
#
# It starts `jiayuan serve` on a fresh folder with the small demo district, signs in a district
# user (cookie + X-CSRF-Token) and makes an API token with every scope a token may carry, and
# runs sqlmap once per target from tests/security/endpoints.py (the route list that
# tests/e2e/e2e_authz_matrix.c generates from the route tables, with parameter names and
# body shapes from docs/api/openapi.yaml). Routes only administrators may call (they need a
# second factor), multipart uploads and the event stream are listed as not scanned. serve runs
# with --login-limit 1000000 so the per-address login limit does not answer the scan with 429
# (the per-name back-off still applies to the password parameter). Prints one line per
# target (verdict: clean / INJECTABLE / partial: stopped by --per-target-timeout before sqlmap
# finished, with the payload families tried and the parameters finished / error) and a summary; exit 1 when sqlmap reports an
# injectable parameter. Needs: sqlmap (apt-get install -y sqlmap; scripts/bootstrap --sqlmap),
# curl, python3-yaml.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
bin=${JIAYUAN_BIN:-$root/build/jiayuan}; only=""; max=0; level=5; risk=3; tmo=0; out=""; keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --max) max=$2; shift 2 ;;
    --level) level=$2; shift 2 ;;
    --risk) risk=$2; shift 2 ;;
    --per-target-timeout) tmo=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) sed -n '7,9p' "$0" >&2; exit 2 ;;
  esac
done
command -v sqlmap >/dev/null || { echo "sqlmap.sh: sqlmap is not installed (apt-get install -y sqlmap)" >&2; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/jiayuan-sqlmap-XXXXXX"); chmod 0700 "$work"
[ -n "$out" ] || out=$work/report
mkdir -p "$out"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ $keep -eq 1 ] && echo "sqlmap.sh: kept $work" || rm -rf "$work"
}
trap cleanup EXIT
var=$work/var; pw='Tq7#vLw2!pZe'
"$bin" keys init --var "$var" >/dev/null 2>>"$work/cli.log"
"$bin" demo --scale small --var "$var" >/dev/null 2>>"$work/cli.log"
echo "$pw" | "$bin" user add --username sqlmap_district --role district --password-stdin --var "$var" >/dev/null 2>>"$work/cli.log"
scopes=$(python3 - "$root" <<'PY'
import sys
rows=[l for l in open(sys.argv[1]+"/docs/security/authz-matrix.md",encoding="utf-8") if l.startswith("| ")]
head=[c.strip() for c in rows[0].strip().strip("|").split("|")]
s=set()
for l in rows[2:]:
    c=dict(zip(head,[x.strip() for x in l.strip().strip("|").split("|")]))
    if c.get("token","").startswith("ok") and "." in c.get("Permission",""): s.add(c["Permission"])
print(",".join(sorted(s)))
PY
)
token=$("$bin" token add --name sqlmap --scopes "$scopes" --var "$var" 2>>"$work/cli.log" | grep -o 'jy_[A-Za-z0-9_-]*' | head -1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
"$bin" serve --listen "127.0.0.1:$port" --var "$var" --login-limit 1000000 2>"$work/serve.log" & pid=$!
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.3; done
login=$(curl -s -D "$work/login.head" -H 'Content-Type: application/json' \
  --data "{\"username\":\"sqlmap_district\",\"password\":\"$pw\"}" "$base/api/v1/auth/login")
cookie=$(grep -io 'set-cookie: [^;]*jy_session=[^;]*' "$work/login.head" | head -1 | cut -d' ' -f2)
csrf=$(printf '%s' "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("csrf_token",""))')
[ -n "$cookie" ] && [ -n "$csrf" ] && [ -n "$token" ] || { echo "sqlmap.sh: sign-in failed" >&2; exit 1; }

python3 "$here/endpoints.py" "$root" > "$work/targets.tsv"
total=$(wc -l < "$work/targets.tsv"); n=0; clean=0; vuln=0; errs=0; skipped=0; t0=$(date +%s)
echo "sqlmap.sh: $total endpoints take input; level $level risk $risk; server $base"
while IFS=$'\t' read -r method url body who; do
  if [ -n "$only" ] && ! [[ "$method $url" =~ $only ]]; then continue; fi
  if [ "$body" = multipart ]; then echo "SKIP      $method $url (multipart upload: parser fuzzed instead)"; skipped=$((skipped+1)); continue; fi
  if [ "$body" = stream ]; then echo "SKIP      $method $url (event stream: never ends)"; skipped=$((skipped+1)); continue; fi
  if [ "$max" -gt 0 ] && [ "$n" -ge "$max" ]; then break; fi
  auth=()
  case $who in
    token) auth=(--headers="Authorization: Bearer $token") ;;
    public) ;;
    session)
      st=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" -X "$method" "$base${url//\*/}" \
        -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' ${body:+--data "[" })
      if [ "$st" = 403 ]; then echo "SKIP      $method $url (administrators only: needs a second factor)"; skipped=$((skipped+1)); continue; fi
      auth=(--headers="Cookie: $cookie
X-CSRF-Token: $csrf") ;;
  esac
  n=$((n+1)); name=$(printf '%03d' "$n")
  # the sign-in with right credentials, so that payloads that break it show (200 vs 401)
  [ "$url" = /api/v1/auth/login ] && body="{\"username\": \"sqlmap_district\", \"password\": \"$pw\"}"
  data=(); [ "$body" != "-" ] && data=(--data "$body")
  ts=$(date +%s)
  set +e
  if [ "$tmo" -gt 0 ]; then tcmd=(timeout "$tmo"); else tcmd=(); fi
  "${tcmd[@]}" sqlmap -u "$base$url" --method "$method" "${data[@]}" "${auth[@]}" --batch --level "$level" --risk "$risk" --ignore-code=401 \
    --flush-session --output-dir "$out/$name" --disable-coloring --answers="follow=N" \
    >"$out/$name.log" 2>&1
  rc=$?
  set -e
  dt=$(( $(date +%s) - ts ))
  # per target: payload families tried, parameters sqlmap finished with no finding
  tried=$(grep -c "\[INFO\] testing '" "$out/$name.log" || true)
  done_params=$(grep -c "does not seem to be injectable" "$out/$name.log" || true)
  if grep -q "is vulnerable\|sqlmap identified the following injection point" "$out/$name.log"; then
    verdict=INJECTABLE; vuln=$((vuln+1))
  elif grep -qi "all tested parameters do not appear to be injectable" "$out/$name.log"; then
    verdict=clean; clean=$((clean+1))
  elif [ $rc -eq 124 ]; then verdict=partial; errs=$((errs+1))
  else verdict=error; errs=$((errs+1)); fi
  requests=$(grep -o 'HTTP requests: [0-9]*\|total of [0-9]* HTTP(s) requests' "$out/$name.log" | grep -o '[0-9]*' | tail -1 || true)
  printf '%-10s %s %s  (%s, %d s, %s payload families, %s parameters finished clean%s)\n' "$verdict" "$method" "$url" \
    "$who" "$dt" "$tried" "$done_params" "${requests:+, $requests requests}"
done < "$work/targets.tsv"
dt=$(( $(date +%s) - t0 ))
echo "sqlmap.sh: scanned $n, clean $clean, injectable $vuln, partial (time limit)/error $errs, skipped $skipped, $dt s"
grep -c '"level": "error"\|"level":"error"' "$work/serve.log" 2>/dev/null | sed 's/^/sqlmap.sh: server error lines: /' || true
[ $vuln -eq 0 ]
