#!/usr/bin/env bash
# tests/ops/test_pg_audit_owner.sh JIAYUAN_BIN - issue 12: on PostgreSQL the application role
# does not own the audit table (scripts/pg-audit-owner). In a fresh schema of
# JIAYUAN_TEST_PG: migrate and audit as the app role, run the deployment step, then every
# way the app role could change or remove audit rows - UPDATE, DELETE, TRUNCATE, ALTER
# (disable the triggers), DROP TRIGGER, DROP TABLE, DROP SCHEMA … CASCADE - must fail, and
# the application still appends and verifies. Without the step the app role owns the table
# and the DROP TRIGGER / ALTER / DROP lines succeed (the test fails).
# Exit 77 (skipped) without JIAYUAN_TEST_PG or root; JIAYUAN_REQUIRE_PG=1 makes that a failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BIN="${1:?usage: test_pg_audit_owner.sh JIAYUAN_BIN}"
skip() {
    echo "test_pg_audit_owner: SKIP $*"
    [ "${JIAYUAN_REQUIRE_PG:-0}" = 1 ] && exit 1
    exit 77
}
[ -n "${JIAYUAN_TEST_PG:-}" ] || skip "JIAYUAN_TEST_PG is not set"
[ "$(id -u)" = 0 ] || skip "needs root (the deployment step uses the postgres superuser)"

schema="t_auditown_$$"
dbname="${JIAYUAN_TEST_PG##*/}"; dbname="${dbname%%\?*}"
url="$JIAYUAN_TEST_PG"
sep='?'; [[ "$url" == *\?* ]] && sep='&'
dburl="${url}${sep}options=-c%20search_path%3D${schema}"
var="$(mktemp -d)"
fail=0
cleanup() {
    runuser -u postgres -- psql -X -q -d "$dbname" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1
    rm -rf "$var"
}
trap cleanup EXIT

psql -X -q -v ON_ERROR_STOP=1 "$url" -c "CREATE SCHEMA $schema" || exit 1
"$BIN" keys init --var "$var" --db "$dburl" >/dev/null 2>&1 || { echo "test_pg_audit_owner: keys init failed"; exit 1; }
"$BIN" verify --var "$var" --db "$dburl" >/dev/null 2>&1 || { echo "test_pg_audit_owner: verify failed"; exit 1; }
scripts/pg-audit-owner "$dbname" "$schema" jiayuan || exit 1

as_app() { psql -X -q -v ON_ERROR_STOP=1 "$dburl" -c "$1" >/dev/null 2>&1; }
for sql in "UPDATE audit_log SET result = 'ok'" \
           "DELETE FROM audit_log" \
           "TRUNCATE audit_log" \
           "ALTER TABLE audit_log DISABLE TRIGGER ALL" \
           "DROP TRIGGER audit_log_no_change ON audit_log" \
           "ALTER TABLE audit_log ADD COLUMN x INT" \
           "DROP TABLE audit_log" \
           "DROP SCHEMA $schema CASCADE"; do
    if as_app "$sql"; then
        echo "test_pg_audit_owner: FAIL the application role may: $sql"
        fail=1
    fi
done
[ $fail -eq 0 ] && echo "test_pg_audit_owner: the application role can no longer change the audit log"
n="$(psql -X -tA "$dburl" -c "SELECT count(*) FROM audit_log")"
out="$("$BIN" verify --var "$var" --db "$dburl" 2>/dev/null)" || { echo "test_pg_audit_owner: FAIL verify: $out"; fail=1; }
m="$(psql -X -tA "$dburl" -c "SELECT count(*) FROM audit_log")"
if [ "$m" -le "$n" ] || ! grep -q "audit chain intact" <<<"$out"; then
    echo "test_pg_audit_owner: FAIL the application no longer appends ($n -> $m entries): $out"
    fail=1
fi
# An upgrade where this step ran before migration 0030 (index on target): the application
# role, no longer the owner, migrates without failing and leaves the index to the step; run
# again, the step makes it.
has_index() { psql -X -tA "$dburl" -c "SELECT count(*) FROM pg_indexes WHERE schemaname = '$schema' AND indexname = 'audit_log_target'"; }
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d "$dbname" \
    -c "DROP INDEX $schema.audit_log_target" -c "DELETE FROM $schema.schema_migrations WHERE version = 30" || exit 1
if ! "$BIN" migrate --var "$var" --db "$dburl" >/dev/null 2>&1 || [ "$(has_index)" != 0 ]; then
    echo "test_pg_audit_owner: FAIL migration 0030 as a non-owner (index: $(has_index))"
    fail=1
fi
scripts/pg-audit-owner "$dbname" "$schema" jiayuan >/dev/null || exit 1
if [ "$(has_index)" != 1 ]; then
    echo "test_pg_audit_owner: FAIL the deployment step did not make audit_log_target"
    fail=1
fi
exit $fail
