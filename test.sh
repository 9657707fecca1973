#!/usr/bin/env bash
# Builds the NAR and runs every test: unit tests, services and processors against the CRM simulator over real
# HTTP, PostgreSQL tests, and the real-NiFi tests. Extra arguments go to Maven (e.g. -DskipNiFiTests).
set -euo pipefail
cd "$(dirname "$0")"
JAVA_HOME="$(scripts/find-jdk.sh)"
export JAVA_HOME
echo "Using JDK at $JAVA_HOME"
exec mvn -B verify "$@"
