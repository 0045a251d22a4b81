#!/usr/bin/env bash
# bench/site_match.sh - precision, recall, F1 and time of city↔district site matching (issue
# 11, R2.11; results in bench/RESULTS.md, section "City↔district site matching").
#
#   bench/site_match.sh [BUILD_DIR] [SITES] [ROWS] [SEED]
#
# Builds the labelled set with tests/support/fixtures/make_city_sites.py (default 2,000
# district sites, 5,000 city rows, seed 1; python3-openpyxl) and runs build/bench/site_match
# on it (the server's reader and matcher, no database).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
build=${1:-build}
sites=${2:-2000}
rows=${3:-5000}
seed=${4:-1}
work=$(mktemp -d /tmp/site_match_bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tests/support/fixtures/make_city_sites.py "$work/city.xlsx" "$work/sites.csv" "$work/labels.csv" \
  --sites "$sites" --rows "$rows" --seed "$seed"
"$build/bench/site_match" "$work/city.xlsx" "$work/sites.csv" "$work/labels.csv"
