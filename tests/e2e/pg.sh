# pg.sh — start a throwaway PostgreSQL server for a test; source it after lib.sh.
#   pg_start            initdb + start on a free port on 127.0.0.1 (unix socket in the data dir);
#                       sets PG_PORT, PG_USER (superuser "floe"), PG_PASSWORD, PG_URL (postgresql://...)
#                       and PG_BIN; password (scram-sha-256) auth on TCP. The server stops at exit.
#   pg_psql ARGS...     psql as the superuser against PG_URL.
#   pg_stop             stop now (also runs automatically at exit).
# As root the server runs as the unprivileged `postgres` user (runuser). Running this file alone
# does nothing.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PG_DIR=""
pg_start() {
  [ -x "$PG_BIN/initdb" ] || { echo "pg.sh: PostgreSQL server binaries not found (scripts/bootstrap.sh installs them)" >&2; return 1; }
  PG_DIR=$(mktemp -d /tmp/floe-pg.XXXXXX)
  PG_USER=floe
  PG_PASSWORD="pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$PG_DIR"; chmod 700 "$PG_DIR"
    as=(runuser -u postgres --)
  fi
  printf '%s\n' "$PG_PASSWORD" > "$PG_DIR/pwfile"
  [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR/pwfile"
  "${as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PG_USER" --pwfile="$PG_DIR/pwfile" -A scram-sha-256 \
      --auth-local=trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  rm -f "$PG_DIR/pwfile"
  "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_DIR -c fsync=off" start \
      >/dev/null 2>&1 || { cat "$PG_DIR/server.log" >&2; return 1; }
  PG_URL="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
  trap 'pg_rc=$?; pg_stop; (exit $pg_rc); cleanup' EXIT
}
pg_psql() { PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres "$@"; }
pg_stop() {
  [ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ] || return 0
  local as=(); [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"; PG_DIR=""
}
