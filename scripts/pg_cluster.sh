#!/usr/bin/env bash
# A PostgreSQL primary and a synchronous standby for the PostgreSQL store's tests (docs/ha.md).
#
#   bash scripts/pg_cluster.sh start   # installs PostgreSQL from Debian when missing, starts both
#   bash scripts/pg_cluster.sh stop    # stops every server this script started, by PID, removes the data
#   bash scripts/pg_cluster.sh status
#
# Environment: FIXG_PG_DIR (default /tmp/fixg-pg: data directories, logs, PIDs and the `env` file),
# FIXG_PG_PORT (default 55432: the primary; the standby listens on the next port, or FIXG_PG_STANDBY_PORT).
# A port found taken when a server starts (another process listening there) is replaced by a free one the
# kernel names, up to 8 times; the `env` file says which ports were used.
# `start` writes $FIXG_PG_DIR/env, which tests read (or source it for FIXG_PG_URL):
#   FIXG_PG_URL=postgres://postgres@127.0.0.1:P,127.0.0.1:P+1/fixg?target_session_attrs=read-write
# The servers run as the `postgres` user (PostgreSQL refuses root), listen on 127.0.0.1 only and trust
# loopback connections: a test fixture, not a production set-up.
set -uo pipefail
dir=${FIXG_PG_DIR:-/tmp/fixg-pg}
port=${FIXG_PG_PORT:-55432}
sport=${FIXG_PG_STANDBY_PORT:-$((port + 1))}

log() { echo "pg_cluster: $*" >&2; }

find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A TCP port on 127.0.0.1 free at this moment, other than $1.
free_port() {
  local p
  for _ in $(seq 1 20); do
    p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null) ||
      p=$((20000 + RANDOM % 40000))
    [ "$p" != "${1:-}" ] && { echo "$p"; return 0; }
  done
  return 1
}

# start_server NAME DATADIR: starts it on port $cur (as the last `port` of its postgresql.auto.conf); when
# the port is taken, on another one, up to 8 attempts. Sets $cur to the port it listens on.
start_server() {
  local name=$1 data=$2 other=${3:-} attempt
  for attempt in $(seq 1 8); do
    echo "port = $cur" >>"$data/postgresql.auto.conf"
    if as_pg "$bin/pg_ctl" -D "$data" -l "$dir/$name.log" -w -t 60 start >/dev/null; then
      head -1 "$data/postmaster.pid" >"$dir/$name.pid"
      return 0
    fi
    grep -q "Address already in use" "$dir/$name.log" 2>/dev/null || break
    [ "$attempt" = 8 ] && break
    local was=$cur
    cur=$(free_port "$other") || break
    log "$name: port $was is taken; trying $cur"
    mv "$dir/$name.log" "$dir/$name.$attempt.log"
  done
  log "$name did not start (see $dir/$name.log)"
  tail -20 "$dir/$name.log" >&2
  return 1
}

stop() {
  [ -d "$dir" ] || return 0
  local f pid
  for f in "$dir"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null # smart shutdown of that postmaster
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$f"
  done
  rm -rf "$dir"
}

start() {
  local bin
  if ! bin=$(find_bin); then
    log "PostgreSQL server not found; installing it from Debian"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; } ||
      { log "apt-get install postgresql failed"; return 1; }
    bin=$(find_bin) || { log "PostgreSQL installed but no server binaries under /usr/lib/postgresql"; return 1; }
  fi
  id postgres >/dev/null 2>&1 || { log "no postgres user"; return 1; }
  stop
  mkdir -p "$dir" && chown postgres "$dir" && chmod 700 "$dir" || return 1
  local p="$dir/primary" s="$dir/standby"
  as_pg "$bin/initdb" -D "$p" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { log "initdb failed (see $dir/initdb.log)"; cat "$dir/initdb.log" >&2; return 1; }
  cat >>"$p/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
synchronous_commit = on
synchronous_standby_names = 'standby1'
max_connections = 200
shared_buffers = 64MB
wal_keep_size = 256MB
EOF
  echo "host all all 127.0.0.1/32 trust" >>"$p/pg_hba.conf"
  echo "host replication all 127.0.0.1/32 trust" >>"$p/pg_hba.conf"
  local cur=$port
  start_server primary "$p" || return 1
  port=$cur
  [ "$sport" = "$port" ] && { sport=$(free_port "$port") || return 1; }
  as_pg "$bin/pg_basebackup" -D "$s" -R -X stream \
    -d "host=127.0.0.1 port=$port user=postgres application_name=standby1" >"$dir/basebackup.log" 2>&1 ||
    { log "pg_basebackup failed (see $dir/basebackup.log)"; return 1; }
  cur=$sport
  start_server standby "$s" "$port" || return 1
  sport=$cur
  # The standby is synchronous once it streams: wait for it (commits on the primary wait for it anyway).
  local st=""
  for _ in $(seq 1 100); do
    st=$(as_pg psql -h 127.0.0.1 -p "$port" -U postgres -Atc \
      "select sync_state from pg_stat_replication where application_name = 'standby1'" 2>/dev/null)
    [ "$st" = sync ] && break
    sleep 0.1
  done
  [ "$st" = sync ] || { log "standby is not synchronous (state '$st')"; return 1; }
  as_pg psql -h 127.0.0.1 -p "$port" -U postgres -qc "create database fixg" >/dev/null || return 1
  cat >"$dir/env" <<EOF
FIXG_PG_URL=postgres://postgres@127.0.0.1:$port,127.0.0.1:$sport/fixg?target_session_attrs=read-write
FIXG_PG_BIN=$bin
FIXG_PG_PRIMARY_DATA=$p
FIXG_PG_STANDBY_DATA=$s
FIXG_PG_PRIMARY_PORT=$port
FIXG_PG_STANDBY_PORT=$sport
EOF
  chmod 644 "$dir/env"
  log "primary 127.0.0.1:$port (pid $(cat "$dir/primary.pid")), synchronous standby 127.0.0.1:$sport (pid $(cat "$dir/standby.pid"))"
}

case "${1:-}" in
  start) start || { stop; exit 1; } ;;
  stop) stop ;;
  status)
    [ -f "$dir/env" ] || { echo "not running"; exit 1; }
    cat "$dir/env"
    for f in "$dir"/*.pid; do [ -f "$f" ] && echo "$(basename "$f" .pid) pid $(cat "$f")"; done
    ;;
  *) echo "usage: bash scripts/pg_cluster.sh start|stop|status" >&2; exit 2 ;;
esac
