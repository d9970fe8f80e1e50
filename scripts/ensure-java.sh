#!/usr/bin/env bash
# Install Debian's Java runtime when `java` is missing (the Spark backend of
# `movilidad dedupe run`, and its test, run pyspark, which needs Java 17 or newer).
set -euo pipefail
if command -v java >/dev/null 2>&1; then exit 0; fi
echo "Installing Debian's openjdk-17-jre-headless package…"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
java -version
