#!/usr/bin/env bash
# Runs one benchmark and prints its table: ./bench.sh NAME [args]. ./bench.sh alone lists them.
# Builds the modules it needs first (skip with BENCH_NO_BUILD=1). Heap: BENCH_HEAP (default 2g).
set -euo pipefail
cd "$(dirname "$0")"
JAVA_HOME="$(scripts/find-jdk.sh)"
export JAVA_HOME
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  mvn -B -q -pl nifi-crm-bench -am install -DskipTests >&2
fi
exec "$JAVA_HOME/bin/java" -Xmx"${BENCH_HEAP:-2g}" -XX:+UseParallelGC \
  -cp "nifi-crm-bench/target/classes:$(cat nifi-crm-bench/target/bench.classpath)" io.nificrm.bench.Bench "$@"
