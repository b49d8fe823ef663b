# bf_test_db.sh - sourced by scripted tests (tests/scripts/*.sh): databases on
# the backend under test, as bf_test_db_new() gives the C tests, so a script
# runs on SQLite and, in the suite's PostgreSQL run, on PostgreSQL.
#
#   . "$BF_SOURCE_DIR/tests/support/bf_test_db.sh"
#   bf_test_db db "$work" a        # sets $db to a --db target, not initialised
#   "$bin" init --db "$db"
#   ...
#   bf_test_db_cleanup             # in the script's EXIT trap (drops them)
#
# SQLite (the default): $work/NAME.db, its key file beside it (NAME.db.key).
# BF_TEST_BACKEND=pg: a new database bftest_sh_<pid>_NAME on the server named
# by BF_TEST_PG, created at once (C collation, UTF-8, like bangfu init makes);
# a PostgreSQL target has no file to keep the key beside, so the script's
# PostgreSQL databases share $work/pg.key, exported as BANGFU_KEY_FILE.
# bf_test_db_key TARGET prints where a target's key file is. Needs psql.

bf_test_db_created=()

# bf_test_db_url DBNAME: BF_TEST_PG naming another database (a later dbname=
# in the query wins in libpq).
bf_test_db_url() {
  case "$BF_TEST_PG" in
    *\?*) printf '%s&dbname=%s\n' "$BF_TEST_PG" "$1" ;;
    *) printf '%s?dbname=%s\n' "$BF_TEST_PG" "$1" ;;
  esac
}

# bf_test_db VAR WORK NAME
bf_test_db() {
  local var=$1 work=$2 name=$3
  if [ "${BF_TEST_BACKEND:-}" != "pg" ]; then
    printf -v "$var" '%s' "$work/$name.db"
    return 0
  fi
  if [ -z "${BF_TEST_PG:-}" ]; then
    echo "bf_test_db: BF_TEST_BACKEND=pg needs BF_TEST_PG (scripts/pg-test-cluster start)" >&2
    return 1
  fi
  local dbname
  dbname="bftest_sh_$$_$(printf '%s' "$name" | tr -c 'a-zA-Z0-9_' '_')"
  PGOPTIONS="-c client_min_messages=warning" psql "$BF_TEST_PG" -qAtX -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" \
    -c "CREATE DATABASE $dbname TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" \
    >/dev/null || return 1
  bf_test_db_created+=("$dbname")
  export BANGFU_KEY_FILE="$work/pg.key"
  printf -v "$var" '%s' "$(bf_test_db_url "$dbname")"
}

# bf_test_db_key TARGET: the key file of a target made by bf_test_db.
bf_test_db_key() {
  case "$1" in
    postgres://* | postgresql://*) printf '%s\n' "${BANGFU_KEY_FILE:-bangfu.key}" ;;
    *) printf '%s.key\n' "${1#sqlite:}" ;;
  esac
}

# bf_test_db_cleanup: drop the PostgreSQL databases made (not with BF_TEST_KEEP).
bf_test_db_cleanup() {
  [ -z "${BF_TEST_KEEP:-}" ] || return 0
  local dbname
  for dbname in "${bf_test_db_created[@]+"${bf_test_db_created[@]}"}"; do
    psql "$BF_TEST_PG" -qAtX -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null 2>&1 || true
  done
  bf_test_db_created=()
}
