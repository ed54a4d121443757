#!/usr/bin/env bash
# Apache Avro's own tools and a real schema registry, from Maven Central, for the tests that check
# shopfloor's events against implementations nobody here wrote. See deploy/avro/README.md.
#
#   avro-tools.sh fetch              download avro-tools and Apicurio Registry once per pinned version
#   avro-tools.sh jar                print the avro-tools jar's path (fetching first if needed)
#   avro-tools.sh registry-jar       print the Apicurio Registry runner jar's path (fetching first)
#   avro-tools.sh run ARGS...        run avro-tools (e.g. `run fingerprint stream/schemas/*.avsc`)
#   avro-tools.sh registry [PORT]    run Apicurio Registry (in memory) in the foreground on
#                                    127.0.0.1:PORT (18081); its Confluent API is /apis/ccompat/v7
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"

# Pinned versions. avro-tools: the newest Apache Avro release. Apicurio Registry 2.6.x: the newest
# line that runs on Java 17 (3.x needs Java 21) and whose Maven Central artifact is a complete
# runnable distribution (-all.tar.gz: a Quarkus runner jar and its lib/, in-memory storage).
AVRO_VERSION=1.12.2
APICURIO_VERSION=2.6.13.Final

tmp=""
HOME_DIR="${SHOPFLOOR_AVRO_TOOLS_HOME:-$REPO/.avro-tools}"
[[ "$HOME_DIR" == /* ]] || HOME_DIR="$PWD/$HOME_DIR"
AVRO_JAR="$HOME_DIR/avro-tools-$AVRO_VERSION.jar"
APICURIO_DIR="$HOME_DIR/apicurio-registry-$APICURIO_VERSION"
APICURIO_JAR="$APICURIO_DIR/apicurio-registry-app-$APICURIO_VERSION-runner.jar"

die() {
  printf 'avro-tools.sh: %s\n' "$*" >&2
  exit 1
}
info() { printf 'avro-tools.sh: %s\n' "$*" >&2; }

usage() {
  cat >&2 <<USAGE
usage: avro-tools.sh fetch | jar | registry-jar | run ARGS... | registry [PORT]

environment (defaults):
  SHOPFLOOR_AVRO_TOOLS_HOME  where the downloads live   ($REPO/.avro-tools)
USAGE
}

require_java() {
  command -v java >/dev/null 2>&1 ||
    die "java not found on PATH: install Java 17 or newer (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless)"
  local version major
  version="$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)"
  major="${version%%.*}"
  [[ "$major" == 1 ]] && major="$(cut -d. -f2 <<<"$version")"
  [[ "$major" =~ ^[0-9]+$ ]] && ((major >= 17)) ||
    die "java is version ${version:-unknown}; avro-tools $AVRO_VERSION and Apicurio Registry $APICURIO_VERSION need Java 17 or newer"
}

ready() { [[ -f "$AVRO_JAR" && -f "$APICURIO_JAR" ]]; }

# mvn dependency:copy of one artifact into a directory; Maven keeps its own cache in ~/.m2.
mvn_copy() {
  local artifact="$1" dest="$2"
  # Maven 3.8 prints bare colour resets even with -B; strip them so logs stay plain text.
  mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy -Dartifact="$artifact" \
    -DoutputDirectory="$dest" -Dmdep.overWriteIfNewer=false 2>&1 </dev/null | sed 's/\x1b\[[0-9;]*m//g' >&2
  return "${PIPESTATUS[0]}"
}

cmd_fetch() {
  ready && return 0
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found on PATH: install Maven 3.8 or newer (Debian/Ubuntu: apt-get install -y maven), or copy a filled $HOME_DIR from another machine"
  require_java
  mkdir -p "$HOME_DIR"
  # Two test files may fetch at once: one downloads, the other waits (flock is util-linux).
  exec 8>"$HOME_DIR/.lock"
  if command -v flock >/dev/null 2>&1; then flock 8; fi
  if ready; then
    exec 8>&-
    return 0
  fi
  tmp="$(mktemp -d "$HOME_DIR/tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  if [[ ! -f "$AVRO_JAR" ]]; then
    info "fetching org.apache.avro:avro-tools:$AVRO_VERSION from Maven Central"
    mvn_copy "org.apache.avro:avro-tools:$AVRO_VERSION" "$tmp" ||
      die "mvn could not fetch avro-tools $AVRO_VERSION: check that Maven Central is reachable (or a mirror in ~/.m2/settings.xml), then run 'avro-tools.sh fetch' again"
    mv "$tmp/avro-tools-$AVRO_VERSION.jar" "$AVRO_JAR"
  fi
  if [[ ! -f "$APICURIO_JAR" ]]; then
    info "fetching io.apicurio:apicurio-registry-app:$APICURIO_VERSION (all.tar.gz, ~140 MB) from Maven Central"
    mvn_copy "io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" "$tmp" ||
      die "mvn could not fetch Apicurio Registry $APICURIO_VERSION: check that Maven Central is reachable, then run 'avro-tools.sh fetch' again"
    mkdir -p "$tmp/apicurio"
    tar -xzf "$tmp/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz" -C "$tmp/apicurio" ||
      die "cannot unpack apicurio-registry-app-$APICURIO_VERSION-all.tar.gz (disk full?)"
    [[ -f "$tmp/apicurio/$(basename "$APICURIO_JAR")" ]] ||
      die "the Apicurio download has no $(basename "$APICURIO_JAR"): its layout changed; check 'tar tzf' of the archive"
    rm -rf "$APICURIO_DIR"
    mv "$tmp/apicurio" "$APICURIO_DIR"
  fi
  rm -rf "$tmp"
  trap - EXIT
  exec 8>&-
  info "ready: $AVRO_JAR, $APICURIO_JAR"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  jar)
    cmd_fetch
    printf '%s\n' "$AVRO_JAR"
    ;;
  registry-jar)
    cmd_fetch
    printf '%s\n' "$APICURIO_JAR"
    ;;
  run)
    shift
    cmd_fetch
    exec java -jar "$AVRO_JAR" "$@"
    ;;
  registry)
    port="${2:-18081}"
    [[ "$port" =~ ^[0-9]+$ ]] && ((port >= 1024 && port <= 65535)) || die "registry PORT must be a number from 1024 to 65535, got $port"
    cmd_fetch
    info "Apicurio Registry on http://127.0.0.1:$port, Confluent API at http://127.0.0.1:$port/apis/ccompat/v7 (in memory: gone when stopped)"
    exec java -Xms64m -Xmx384m -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" -jar "$APICURIO_JAR"
    ;;
  -h | --help | help) usage ;;
  *)
    usage
    exit 2
    ;;
esac
