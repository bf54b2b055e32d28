#!/usr/bin/env bash
# End-to-end load: the packaged demo under a loopback load generator, every edge on against the web and JDBC
# edges off, on H2 (the demo's default) and on PostgreSQL, in interleaved rounds of one run. Not part of the
# build or CI. Usage, from anywhere:
#   benchmarks/run-load.sh [h2|postgres|all]              (default all; ~15 min on 2 cores)
# Settings (environment): ROUNDS=5 rounds per configuration, DURATION=12 seconds per round, WARMUP=120 seconds per
# instance, CONNECTIONS=8, OUT=benchmarks/results/load, JAVA=java,
# PG_URL=jdbc:postgresql://127.0.0.1:5432/postgres (with PG_USER, PG_PASSWORD) to use a running server instead of
# starting Zonky's embedded PostgreSQL, LOADGEN=java to use the JDK load generator even where wrk is installed,
# BUILD=1 to rebuild the jars first (they are built only when missing), ON_ARGS="--name=value ..." for extra
# properties of the edges-on instance only (to compare a setting, e.g. the query-timeout backstop, against off),
# COMMON_ARGS="--name=value ..." for extra properties of both instances, FORKS=1 pairs of instances per database, each
# started afresh, warmed up and measured for ROUNDS rounds (the JIT compiles each JVM its own way, so one pair's
# on/off can differ from the next pair's by a few percent; more forks average that out), MODE=alternate (one instance
# loaded at a time, on, off, on, off) or MODE=concurrent (both loaded at once, each by its own wrk: the two share the
# cores in every round, so that whatever else the machine does falls on both in the same seconds, and the ratio of
# their requests per second is the inverse ratio of their CPU per request), AA=1 for an A/A control (the "on"
# instance runs with the edges off too: what the harness's own bias and noise are).
#
# PROFILE=1 records both instances with JFR (extra JFR.start options in JFR_OPTIONS, e.g.
# "jdk.ExecutionSample#period=1ms"; KEEP_JFR=1 keeps the recordings) over the measured rounds and writes where their request threads spent
# their CPU (benchmarks.jar's EdgeProfile) to profile-DATABASE-on.txt and -off.txt.
#
# Two demo instances run side by side on 127.0.0.1, one per configuration, on the same database; after a warm-up
# of each, the load generator (wrk, a separate process; Debian's package is installed if missing and this runs
# as root, else the JDK LoadGenerator in benchmarks.jar) drives them in turn, on, off, on, off, ..., one at a
# time, against GET /api/sql/slow?seconds=0: one SQL statement in a @Cancellable method with a 2 s budget.
# Besides requests per second, each round reads the CPU time the driven instance's request threads used (user +
# system, from /proc): CPU per request depends far less than throughput on what else the machine is running.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-12}
WARMUP=${WARMUP:-120}
CONNECTIONS=${CONNECTIONS:-8}
OUT=${OUT:-benchmarks/results/load}
JAVA=${JAVA:-java}
PORT_ON=${PORT_ON:-18081}
PORT_OFF=${PORT_OFF:-18082}
PROFILE=${PROFILE:-0}
FORKS=${FORKS:-1}
MODE=${MODE:-alternate}
AA=${AA:-0}
TICKS=$(getconf CLK_TCK)
declare -A PID_OF
BENCH_JAR=benchmarks/target/benchmarks.jar
ENDPOINT=/api/sql/slow?seconds=0
case $what in h2|postgres|all) ;; *) echo "usage: $0 [h2|postgres|all]" >&2; exit 2 ;; esac
case $MODE in alternate|concurrent) ;; *) echo "MODE must be alternate or concurrent, not '$MODE'" >&2; exit 2 ;; esac
EDGES_OFF=(--cancellation.web.enabled=false --cancellation.jdbc.enabled=false)

demo_jar() { ls demo-app/target/demo-app-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -1; }
if [[ ${BUILD:-0} == 1 || -z $(demo_jar) || ! -f $BENCH_JAR ]]; then
  echo "Building the demo and benchmarks jars ..." >&2
  ./mvnw -B -ntp -q -pl demo-app,benchmarks -am package -DskipTests
fi
DEMO_JAR=$(demo_jar)

LOADGEN=${LOADGEN:-wrk}
if [[ $LOADGEN == wrk ]] && ! command -v wrk >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "Installing wrk (Debian package) ..." >&2
    apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; } || true
  fi
  command -v wrk >/dev/null || { echo "wrk is not installed: using the JDK load generator" >&2; LOADGEN=java; }
fi

mkdir -p "$OUT"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 130" INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_demo NAME PORT EXTRA-ARGUMENTS...: starts an instance and waits (at most 90 s) until it is healthy.
start_demo() {
  local name=$1 port=$2; shift 2
  port_free "$port" || { echo "port $port is in use (set PORT_ON / PORT_OFF)" >&2; exit 1; }
  "$JAVA" -Xms512m -Xmx512m -jar "$DEMO_JAR" --server.address=127.0.0.1 --server.port="$port" \
    --spring.output.ansi.enabled=never --demo.output-dir="$WORK/$name" --demo.workers.count=0 \
    --logging.level.dev.cancellation.tasks=info --management.endpoints.web.exposure.include=health,beans \
    "$@" > "$OUT/demo-$name.log" 2>&1 &
  PIDS+=($!)
  PID_OF[$port]=$!
  for _ in $(seq 1 180); do
    curl -fsS "http://127.0.0.1:$port/actuator/health" >/dev/null 2>&1 && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "demo $name exited; see $OUT/demo-$name.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "demo $name not healthy after 90 s; see $OUT/demo-$name.log" >&2; exit 1
}

# check_demo PORT DATABASE EDGES(on|off): the endpoint answers 200 from the expected database, and the web and
# JDBC edges are present or absent as configured (a malformed deadline header is a 400 only with the web edge;
# the JDBC edge's auto-configuration is a bean only with the JDBC edge).
check_demo() {
  local port=$1 database=$2 edges=$3 body malformed jdbc
  body=$(curl -fsS "http://127.0.0.1:$port$ENDPOINT")
  [[ $(jq -r .database <<<"$body") == "$database" ]] || { echo "expected $database, got $body" >&2; exit 1; }
  malformed=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Request-Timeout: soon' "http://127.0.0.1:$port$ENDPOINT")
  jdbc=$(curl -fsS "http://127.0.0.1:$port/actuator/beans" | grep -c "CancellationJdbcAutoConfiguration\"" || true)
  if [[ $edges == on && ($malformed != 400 || $jdbc == 0) ]] || [[ $edges == off && ($malformed != 200 || $jdbc != 0) ]]; then
    echo "port $port: edges should be $edges, but a malformed deadline answered $malformed and the JDBC edge" \
      "bean appears $jdbc time(s)" >&2
    exit 1
  fi
}

# cpu_ticks PID: user + system CPU time the process's request threads (Tomcat's http-nio-*) have used, in clock
# ticks. Not the JIT's and the GC's threads: on a busy machine the JIT compiles for minutes, and its CPU would be
# most of the figure in the first rounds.
cpu_ticks() {
  local stat sum=0
  for stat in /proc/"$1"/task/*/stat; do
    sum=$((sum + $(awk '$2 ~ /^\(http-nio/ {print $14 + $15; exit} {print 0}' "$stat" 2>/dev/null || echo 0)))
  done
  echo "$sum"
}

# load PORT SECONDS: prints the requests per second and the instance's CPU microseconds per request; fails on any
# non-2xx answer or socket error.
load() {
  local port=$1 seconds=$2 report before after
  before=$(cpu_ticks "${PID_OF[$port]}")
  if [[ $LOADGEN == wrk ]]; then
    report=$(wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" "http://127.0.0.1:$port$ENDPOINT")
  else
    report=$("$JAVA" -cp "$BENCH_JAR" dev.cancellation.bench.LoadGenerator "http://127.0.0.1:$port$ENDPOINT" \
      "$CONNECTIONS" "$seconds")
  fi
  echo "$report" >> "$OUT/loadgen-raw.txt"
  if grep -q -e 'Non-2xx' -e 'Socket errors' <<<"$report"; then
    echo "errors under load on port $port:" >&2; echo "$report" >&2; exit 1
  fi
  after=$(cpu_ticks "${PID_OF[$port]}")
  awk -v cpu=$((after - before)) -v tck="$TICKS" '
    / requests in / {n = $1} /^Requests\/sec:/ {r = $2}
    END {printf "%s %.0f\n", r, cpu / tck * 1e6 / n}' <<<"$report"
}

# load_pair SECONDS: loads both instances, one after the other (MODE=alternate, on first) or at once
# (MODE=concurrent); prints load's line for the on instance, then for the off one.
load_pair() {
  if [[ $MODE == concurrent ]]; then
    load "$PORT_ON" "$1" > "$WORK/load-on" &
    local on_pid=$!
    load "$PORT_OFF" "$1" > "$WORK/load-off"
    wait "$on_pid" || exit 1
    cat "$WORK/load-on" "$WORK/load-off"
  else
    load "$PORT_ON" "$1"
    load "$PORT_OFF" "$1"
  fi
}

# measure DATABASE EXTRA-ARGUMENTS...: one database, both configurations, interleaved; appends to the results.
measure() {
  local database=$1; shift
  local on=() off=() cpu_on=() cpu_off=() fork
  for fork in $(seq 1 "$FORKS"); do
    measure_fork "$database" "$fork" "$@"
  done
  echo "$database ${on[*]} | ${off[*]} | ${cpu_on[*]} | ${cpu_off[*]}" >> "$RESULTS"
}

# measure_fork DATABASE FORK EXTRA-ARGUMENTS...: one pair of fresh instances (a JIT's choices differ from one JVM to
# the next, so each fork gets its own); appends its rounds to measure's arrays.
measure_fork() {
  local database=$1 fork=$2; shift 2
  PIDS_BEFORE=${#PIDS[@]}
  # shellcheck disable=SC2086 # ON_ARGS is a list of arguments
  local on_edges=on on_flags=()
  [[ $AA == 1 ]] && on_edges=off && on_flags=("${EDGES_OFF[@]}")
  # shellcheck disable=SC2086 # ON_ARGS is a list of arguments
  start_demo "$database-on" "$PORT_ON" "${on_flags[@]}" "$@" ${COMMON_ARGS:-} ${ON_ARGS:-}
  # shellcheck disable=SC2086 # COMMON_ARGS is a list of arguments
  start_demo "$database-off" "$PORT_OFF" "${EDGES_OFF[@]}" "$@" ${COMMON_ARGS:-}
  check_demo "$PORT_ON" "$database" "$on_edges"
  check_demo "$PORT_OFF" "$database" off
  # In halves (on, off, on, off; or both at once, twice): on a busy machine the JIT takes long, and both
  # instances should get it alike.
  echo "== $database, fork $fork of $FORKS: warm-up ${WARMUP}s each ($MODE)" >&2
  local half=$(((WARMUP + 1) / 2))
  load_pair "$half" >/dev/null
  load_pair "$half" >/dev/null
  local round result jcmd port profile=0
  [[ $PROFILE == 1 && $fork == "$FORKS" ]] && profile=1 # the last fork only
  jcmd="$(dirname "$(readlink -f "$(command -v "$JAVA")")")/jcmd"
  if [[ $profile == 1 ]]; then # both instances, so that the recording's own cost falls on both alike
    for port in "$PORT_ON" "$PORT_OFF"; do "$jcmd" "${PID_OF[$port]}" JFR.start name=load settings=profile ${JFR_OPTIONS:-} >/dev/null; done
  fi
  for round in $(seq 1 "$ROUNDS"); do
    load_pair "$DURATION" > "$WORK/pair"
    { read -r result; on+=("${result% *}"); cpu_on+=("${result#* }")
      read -r result; off+=("${result% *}"); cpu_off+=("${result#* }"); } < "$WORK/pair"
    echo "   round $round: on ${on[-1]} req/s (${cpu_on[-1]} us CPU/request)," \
      "off ${off[-1]} req/s (${cpu_off[-1]} us CPU/request)" >&2
  done
  if [[ $profile == 1 ]]; then
    local edges recording
    for edges in on off; do
      [[ $edges == on ]] && port=$PORT_ON || port=$PORT_OFF
      recording="$(cd "$OUT" && pwd)/profile-$database-$edges.jfr"
      # A failed profile is reported, and the table is still printed.
      if "$jcmd" "${PID_OF[$port]}" JFR.stop name=load filename="$recording" >/dev/null \
          && "$JAVA" -cp "$BENCH_JAR" dev.cancellation.bench.EdgeProfile "$recording" \
            > "$OUT/profile-$database-$edges.txt"; then
        echo "   profile of the edges-$edges instance over the rounds: $OUT/profile-$database-$edges.txt" >&2
      else
        echo "   the profile of the edges-$edges instance failed" >&2
      fi
      [[ ${KEEP_JFR:-0} == 1 ]] || rm -f "$recording"
    done
  fi
  # Stop this database's instances before the next database's.
  for pid in "${PIDS[@]:$PIDS_BEFORE}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  PIDS=("${PIDS[@]:0:$PIDS_BEFORE}")
}

RESULTS="$OUT/rounds.txt"
: > "$RESULTS"
: > "$OUT/loadgen-raw.txt"
{
  echo "date: $(date -u +%FT%TZ)  machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)  java: $("$JAVA" -version 2>&1 | head -1)"
  echo "load generator: $LOADGEN, $CONNECTIONS connections; $FORKS fork(s) x $ROUNDS rounds x ${DURATION}s per configuration, each fork after ${WARMUP}s warm-up; mode: $MODE$([[ $AA == 1 ]] && echo ', A/A (both instances with the edges off)')"
  echo "endpoint: GET $ENDPOINT   commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} > "$OUT/header.txt"

if [[ $what == all || $what == h2 ]]; then
  measure H2
fi
if [[ $what == all || $what == postgres ]]; then
  if [[ -n ${PG_URL:-} ]]; then
    measure PostgreSQL --spring.datasource.url="$PG_URL" --spring.datasource.username="${PG_USER:-postgres}" \
      --spring.datasource.password="${PG_PASSWORD:-}"
  else
    "$JAVA" -cp "$BENCH_JAR" dev.cancellation.bench.PostgresServer "$WORK/pg.port" > "$OUT/postgres.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 240); do [[ -s $WORK/pg.port ]] && break; sleep 0.5; done
    [[ -s $WORK/pg.port ]] || { echo "PostgreSQL did not start; see $OUT/postgres.log" >&2; exit 1; }
    measure PostgreSQL --spring.datasource.url="jdbc:postgresql://127.0.0.1:$(cat "$WORK/pg.port")/postgres" \
      --spring.datasource.username=postgres --spring.datasource.password=
  fi
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/header.txt"

# The table: mean req/s per configuration, on/off, and every round.
{
  cat "$OUT/header.txt"
  echo
  echo "| database | measure | edges on, mean | edges off, mean | on/off | rounds on | rounds off |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  awk -F'|' '
    function mean(field, list,   n, i, s, v) {
      n = split(field, v, " "); s = 0; list = ""
      for (i = 1; i <= n; i++) { s += v[i]; list = list (i > 1 ? ", " : "") sprintf("%.0f", v[i]) }
      LIST = list; return s / n
    }
    {
      db = $1; sub(/ .*/, "", db); rest = $1; sub(/^[^ ]+ /, "", rest)
      mon = mean(rest); lon = LIST; moff = mean($2); loff = LIST
      printf "| %s | req/s (higher is better) | %.0f | %.0f | %.3f | %s | %s |\n", db, mon, moff, mon / moff, lon, loff
      mon = mean($3); lon = LIST; moff = mean($4); loff = LIST
      printf "| %s | request-thread CPU us/request (lower is better) | %.0f | %.0f | %.3f | %s | %s |\n", db, mon, moff, mon / moff, lon, loff
      paired(rest, $2)
      printf "| %s | req/s, on/off of each round pair: geometric mean [95%% CI] | | | %.3f [%.3f, %.3f] | | |\n", db, GM, LO, HI
    }
    # Each on round and the off round right after it ran under about the same conditions: the ratios of the pairs
    # vary less than the rounds do. Their geometric mean, with a t interval on the logarithms.
    function paired(onf, offf,   n, i, a, b, d, m, ss, t) {
      n = split(onf, a, " "); split(offf, b, " "); m = 0
      for (i = 1; i <= n; i++) { d[i] = log(a[i] / b[i]); m += d[i] }
      m /= n; ss = 0
      for (i = 1; i <= n; i++) ss += (d[i] - m) ^ 2
      t = (n <= 2) ? 12.71 : (n <= 4) ? 3.18 : (n <= 6) ? 2.57 : (n <= 8) ? 2.36 : (n <= 10) ? 2.26 : (n <= 13) ? 2.18 \
        : (n <= 17) ? 2.12 : (n <= 25) ? 2.07 : 2.04
      hw = (n > 1) ? t * sqrt(ss / (n - 1) / n) : 0
      GM = exp(m); LO = exp(m - hw); HI = exp(m + hw)
    }' "$RESULTS"
} | tee "$OUT/summary.txt"
