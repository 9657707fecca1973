#!/usr/bin/env bash
# Prints the home of a JDK >= 21 (NiFi 2 needs it). Sourced or run by the project's scripts.
# Order: $JAVA_HOME if new enough, then every JDK under /usr/lib/jvm and /opt (newest first), then `java` on PATH.
set -u

jdk_major() {
  local v
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  echo "${v%%.*}"
}

usable() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  local major
  major=$(jdk_major "$1")
  [ -n "$major" ] && [ "$major" -ge 21 ]
}

candidates() {
  [ -n "${JAVA_HOME:-}" ] && echo "$JAVA_HOME"
  ls -d /usr/lib/jvm/* /opt/*jdk* /opt/java/* 2>/dev/null | sort -rV
  if command -v javac >/dev/null 2>&1; then
    dirname "$(dirname "$(readlink -f "$(command -v javac)")")"
  fi
}

for home in $(candidates); do
  if usable "$home"; then
    echo "$home"
    exit 0
  fi
done
echo "No JDK >= 21 found: install one (e.g. Temurin 21 or 25) or set JAVA_HOME to it." >&2
exit 1
