#!/usr/bin/env bash
# The reliability suites (RELIABILITY.md): a real 2-node NiFi cluster and the fault-injection matrix, against the
# CRM simulator and PostgreSQL. Builds the NAR, skips the regular suites (./test.sh runs those) and runs only the
# tests tagged "reliability". .ci/run runs it after ./test.sh. Extra arguments go to Maven.
set -euo pipefail
cd "$(dirname "$0")"
JAVA_HOME="$(scripts/find-jdk.sh)"
export JAVA_HOME
echo "Using JDK at $JAVA_HOME"
exec mvn -B verify -Preliability "$@"
