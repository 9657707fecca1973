#!/usr/bin/env bash
# Demo (placeholder until the flow definitions land): builds the bundle and runs the CRM simulator with seeded
# dirty data in the foreground. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")"
JAVA_HOME="$(scripts/find-jdk.sh)"
export JAVA_HOME
mvn -B -q -pl nifi-crm-simulator -am package -DskipTests
exec "$JAVA_HOME/bin/java" -jar nifi-crm-simulator/target/nifi-crm-simulator-0.1.0-SNAPSHOT-standalone.jar \
  --port "${SIM_PORT:-8089}" --seed salesforce=10000 "$@"
