#!/usr/bin/env bash
# The demo (see README "Run the demo"): builds the bundle, starts the CRM simulator with seeded dirty Salesforce data,
# a PostgreSQL and a local NiFi 2.3.0 with the nifi-crm NAR, runs the full migration Salesforce → HubSpot and
# Salesforce → PostgreSQL from templates/, prints the run report, and keeps everything running until Ctrl-C.
#
#   ./demo.sh [--contacts N] [--nifi-port P] [--sim-port P] [--unlimited]
#   ./demo.sh --stop        stops a demo running in another terminal
#
# State (pids, ports, URLs): .demo/state.properties. NiFi home, rejects and reports: .demo/
set -euo pipefail
cd "$(dirname "$0")"
DEMO_DIR="$PWD/.demo"
STATE="$DEMO_DIR/state.properties"

state() { grep "^$1=" "$STATE" 2>/dev/null | cut -d= -f2- | sed 's/\\:/:/g' || true; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

if [ "${1:-}" = "--stop" ]; then
  if [ ! -f "$STATE" ]; then
    echo "No demo is running (no $STATE)."
    exit 0
  fi
  pid=$(state demo.pid)
  if alive "$pid"; then
    echo "Stopping the demo (pid $pid): NiFi, the simulator, PostgreSQL ..."
    kill -TERM "$pid"
    for _ in $(seq 1 90); do alive "$pid" || break; sleep 1; done
  fi
  # What a demo JVM killed hard may have left behind.
  for key in nifi.pid simulator.pid; do
    p=$(state "$key")
    if alive "$p"; then kill -TERM "$p" || true; fi
  done
  rm -f "$STATE"
  echo "Stopped."
  exit 0
fi

if [ -f "$STATE" ] && alive "$(state demo.pid)"; then
  echo "A demo is already running (pid $(state demo.pid), NiFi $(state nifi.url)). Stop it with ./demo.sh --stop" >&2
  exit 1
fi

JAVA_HOME="$(scripts/find-jdk.sh)"
export JAVA_HOME
mkdir -p "$DEMO_DIR"
echo "==> Building the bundle and the demo (mvn package, tests skipped; the first run downloads NiFi 2.3.0 into ~/.m2)"
if ! mvn -B -pl nifi-crm-nifi-tests -am package -DskipTests -Dnifi.layout.skip=false > "$DEMO_DIR/build.log" 2>&1; then
  tail -40 "$DEMO_DIR/build.log" >&2
  echo "The build failed; the whole log is in $DEMO_DIR/build.log" >&2
  exit 1
fi
T=nifi-crm-nifi-tests/target
exec "$JAVA_HOME/bin/java" -Xmx1g -Dslf4j.internal.verbosity=ERROR -cp "$T/test-classes:$(cat "$T/demo.classpath")" \
  -Ddemo.dir="$DEMO_DIR" \
  -Dnifi.runtime.lib="$PWD/$T/nifi-runtime/lib" \
  -Dnifi.crm.nar="$PWD/$T/nifi-crm-nar/nifi-crm-nar.nar" \
  -Dnifi.crm.stock.nar="$PWD/$T/nifi-crm-nar/nifi-crm-stock-test-nar.nar" \
  -Dnifi.crm.templates.dir="$PWD/templates" \
  -Dpostgresql.driver="$PWD/$T/jdbc/postgresql.jar" \
  io.nificrm.nifitests.demo.Demo "$@"
