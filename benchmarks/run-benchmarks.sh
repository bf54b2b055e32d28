#!/usr/bin/env bash
# Runs every benchmark row and writes raw results to benchmarks/results/. Build first:
#   ./mvnw -B -ntp -q -pl benchmarks -am package -DskipTests
# Usage: benchmarks/run-benchmarks.sh [jmh|latency|memory|shutdown|jdbc|r2dbc|all]   (default all; ~15 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")"
JAR=target/benchmarks.jar
OUT=${OUT:-results}
JAVA=${JAVA:-java}
# A Java 21+ `java` for the virtual-thread half of row 8, e.g. JAVA21=/path/to/jdk-25/bin/java; skipped without it.
JAVA21=${JAVA21:-}
mkdir -p "$OUT"
what=${1:-all}

if [[ $what == all || $what == jmh ]]; then
  # Rows 1-5; -prof gc adds B/op (gc.alloc.rate.norm) to every row.
  "$JAVA" -jar "$JAR" -f 1 -wi 4 -i 5 -w 1s -r 2s -prof gc \
    -rf json -rff "$OUT/jmh.json" -o "$OUT/jmh.txt" \
    'IsCancelledBenchmark|ChildSourceBenchmark|CallbackBenchmark|SpringAdviceBenchmark|CallCostBreakdownBenchmark|TimeLimiterAspectBenchmark|TimedTaskBenchmark|TimerBenchmark|TaskIdBenchmark'
fi
if [[ $what == all || $what == latency ]]; then
  "$JAVA" -cp "$JAR" dev.cancellation.bench.LatencyHarness 20000 5000 "$OUT/latency.txt"
fi
if [[ $what == all || $what == memory ]]; then
  "$JAVA" -XX:+UseSerialGC -Xmx2g -Djdk.attach.allowAttachSelf=true -Djol.magicFieldOffset=true \
    -cp "$JAR" dev.cancellation.bench.MemoryHarness 100000 "$OUT/memory.txt"
fi
if [[ $what == all || $what == shutdown ]]; then
  rm -f "$OUT/shutdown.txt"
  for queue in default 20000; do
    "$JAVA" -cp "$JAR" dev.cancellation.bench.ShutdownHarness 10000 platform "$queue" "$OUT/shutdown.txt" \
      2> "$OUT/shutdown-platform-$queue.stderr.txt"
    if [[ -n $JAVA21 && -x $JAVA21 ]]; then
      "$JAVA21" -cp "$JAR" dev.cancellation.bench.ShutdownHarness 10000 virtual "$queue" "$OUT/shutdown.txt" \
        2> "$OUT/shutdown-virtual-$queue.stderr.txt"
    fi
  done
  if [[ -z $JAVA21 || ! -x $JAVA21 ]]; then
    echo "JAVA21 names no Java 21+ java: the virtual-thread shutdown rows were skipped" >&2
  fi
  # The JDK-only floor under the platform-thread rows: waking 10,000 parked threads and nothing else.
  "$JAVA" -cp "$JAR" dev.cancellation.bench.ThreadWakeFloor 10000 3 > "$OUT/thread-wake-floor.txt"
fi
if [[ $what == all || $what == jdbc ]]; then
  # JDBC: per-statement cost on H2 (JMH), cancel-to-stopped latency on an embedded PostgreSQL.
  mkdir -p "$OUT/jdbc"
  "$JAVA" -jar "$JAR" -f 2 -wi 5 -i 5 -w 1s -r 2s -prof gc \
    -rf json -rff "$OUT/jdbc/jmh.json" -o "$OUT/jdbc/jmh.txt" 'JdbcStatementBenchmark'
  "$JAVA" -cp "$JAR" dev.cancellation.bench.JdbcCancelLatencyHarness 50 "$OUT/jdbc/latency.txt"
fi
if [[ $what == all || $what == r2dbc ]]; then
  # R2DBC: per-statement cost on r2dbc-h2 and on the embedded PostgreSQL (JMH), cancel-to-stopped latency on it.
  mkdir -p "$OUT/r2dbc"
  "$JAVA" -jar "$JAR" -f 2 -wi 5 -i 5 -w 1s -r 2s -prof gc \
    -rf json -rff "$OUT/r2dbc/jmh.json" -o "$OUT/r2dbc/jmh.txt" 'R2dbcStatementBenchmark'
  "$JAVA" -cp "$JAR" dev.cancellation.bench.R2dbcCancelLatencyHarness 50 "$OUT/r2dbc/latency.txt"
fi
