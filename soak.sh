#!/usr/bin/env bash
# The soak run (RELIABILITY.md): ongoing sync on a real NiFi for >= 30 minutes under a steady stream of source
# creates, updates and deletes. Not part of .ci/run. Extra arguments go to Maven (e.g. -Dsoak.minutes=60).
set -euo pipefail
cd "$(dirname "$0")"
JAVA_HOME="$(scripts/find-jdk.sh)"
export JAVA_HOME
echo "Using JDK at $JAVA_HOME"
exec mvn -B verify -Psoak "$@"
