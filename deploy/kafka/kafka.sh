#!/usr/bin/env bash
# A local Kafka broker without Docker: one KRaft node (broker + controller) on loopback, run
# from jars that Maven fetches into a cache directory. See deploy/kafka/README.md.
#
#   kafka.sh fetch    download the broker jars (once per pinned version)
#   kafka.sh start    start the broker in the background; prints 127.0.0.1:PORT last
#   kafka.sh stop     stop it (SIGTERM, then SIGKILL after 30 s)
#   kafka.sh status   exit 0 and print the address if it runs, exit 3 if not
#   kafka.sh reset    stop it and delete its data
#
# With SHOPFLOOR_KAFKA_SECURITY=1 the broker also listens with authentication and encryption, for
# testing the agent's TLS and SASL settings (see usage below); the plain listener stays.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"
POM="$SCRIPT_DIR/pom.xml"
LOG4J_CONFIG="$SCRIPT_DIR/log4j2.properties"

KAFKA_HOME_DIR="${SHOPFLOOR_KAFKA_HOME:-$REPO/.kafka}"
# Jars are shared between homes (the dev broker and the test broker use the same download).
LIBS_DIR="${SHOPFLOOR_KAFKA_LIBS:-$REPO/.kafka/libs}"
# Absolute paths: the broker's command line (which `stop` matches) must not depend on the cwd.
[[ "$KAFKA_HOME_DIR" == /* ]] || KAFKA_HOME_DIR="$PWD/$KAFKA_HOME_DIR"
[[ "$LIBS_DIR" == /* ]] || LIBS_DIR="$PWD/$LIBS_DIR"
RUN_DIR="$KAFKA_HOME_DIR/run"
DATA_DIR="$RUN_DIR/data"
PID_FILE="$RUN_DIR/broker.pid"
LOG_FILE="$RUN_DIR/broker.log"
PROPS_FILE="$RUN_DIR/server.properties"
PORT="${SHOPFLOOR_KAFKA_PORT:-19092}"
SECURITY="${SHOPFLOOR_KAFKA_SECURITY:-0}"
SASL_USER="${SHOPFLOOR_KAFKA_SASL_USER:-shopfloor}"
SASL_PASSWORD="${SHOPFLOOR_KAFKA_SASL_PASSWORD:-shopfloor-secret}"
TLS_DIR="$RUN_DIR/tls"
START_TIMEOUT_S=90
STOP_TIMEOUT_S=30

# 512 MiB is plenty for a dev/test broker; the shared CI machine has 2 cores.
JAVA_OPTS=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
  -Djava.awt.headless=true "-Dlog4j2.configurationFile=$LOG4J_CONFIG")
# Extra JVM flags, split on spaces (e.g. SHOPFLOOR_KAFKA_JAVA_OPTS="-Xmx1g").
read -r -a EXTRA_JAVA_OPTS <<<"${SHOPFLOOR_KAFKA_JAVA_OPTS:-}"

die() {
  printf 'kafka.sh: %s\n' "$*" >&2
  exit 1
}
info() { printf 'kafka.sh: %s\n' "$*" >&2; }

usage() {
  cat >&2 <<EOF
usage: kafka.sh fetch|start|stop|status|reset

environment (defaults):
  SHOPFLOOR_KAFKA_PORT       broker port; the controller uses PORT+1   (19092)
  SHOPFLOOR_KAFKA_HOME       run dir, data and log live in HOME/run    ($REPO/.kafka)
  SHOPFLOOR_KAFKA_LIBS       jar cache shared by every home            ($REPO/.kafka/libs)
  SHOPFLOOR_KAFKA_JAVA_OPTS  extra JVM flags                           (none)
  SHOPFLOOR_KAFKA_SECURITY   1: also listen with SASL and TLS          (0)
      PORT+2 SASL_PLAINTEXT, PORT+3 SASL_SSL, PORT+4 SSL; SASL mechanisms PLAIN, SCRAM-SHA-256,
      SCRAM-SHA-512 for one user; TLS with a self-signed certificate for 127.0.0.1/localhost
      whose PEM is HOME/run/tls/ca.pem (made on first start, with keytool)
  SHOPFLOOR_KAFKA_SASL_USER      that user                             (shopfloor)
  SHOPFLOOR_KAFKA_SASL_PASSWORD  its password                          (shopfloor-secret)
EOF
}

# --- checks ------------------------------------------------------------------------------------

kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n 1
}

require_java() {
  command -v java >/dev/null 2>&1 ||
    die "java not found on PATH: install Java 17 or newer (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless)"
  local version major
  version="$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)"
  major="${version%%.*}"
  [[ "$major" == 1 ]] && major="$(cut -d. -f2 <<<"$version")"
  [[ "$major" =~ ^[0-9]+$ ]] || die "cannot tell the Java version from 'java -version'; Kafka $(kafka_version) needs Java 17 or newer"
  ((major >= 17)) || die "java is version $version; Kafka $(kafka_version) needs Java 17 or newer: install Java 17 (apt-get install -y openjdk-17-jre-headless) and put it first on PATH"
}

require_port() {
  [[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT >= 1024 && PORT <= 65534)) ||
    die "SHOPFLOOR_KAFKA_PORT=$PORT must be a number from 1024 to 65534 (the controller takes PORT+1)"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The pid from the pid file, if that process is alive and is our broker.
broker_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid belongs to some other program: only trust it if it runs our server.properties.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $PROPS_FILE" || return 1
  printf '%s\n' "$pid"
}

# The broker port in the server.properties of the current (or last) start.
properties_port() {
  [[ -f "$PROPS_FILE" ]] || return 0
  sed -n 's/^advertised.listeners=PLAINTEXT:\/\/127.0.0.1:\([0-9]*\).*$/\1/p' "$PROPS_FILE"
}

# --- fetch -------------------------------------------------------------------------------------

stamp_file() { printf '%s/.fetched-kafka-%s' "$LIBS_DIR" "$(kafka_version)"; }

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }

libs_ready() {
  local stamp
  stamp="$(stamp_file)"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$(pom_hash)" ]]
}

cmd_fetch() {
  libs_ready && return 0
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found on PATH: install Maven 3.8 or newer (Debian/Ubuntu: apt-get install -y maven), or copy a filled $LIBS_DIR from another machine"
  require_java
  mkdir -p "$(dirname "$LIBS_DIR")"
  # The dev broker and a test run may both fetch at once: one downloads, the other waits.
  # (flock is util-linux; without it, e.g. on macOS, concurrent fetches just both download.)
  exec 8>"$LIBS_DIR.lock"
  if command -v flock >/dev/null 2>&1; then flock 8; fi
  if libs_ready; then
    exec 8>&-
    return 0
  fi
  local version tmp
  version="$(kafka_version)"
  tmp="$(mktemp -d "$LIBS_DIR.tmp.XXXXXX")"
  info "fetching Kafka $version jars from Maven Central into $LIBS_DIR"
  # Maven 3.8 prints bare colour resets even with -B; strip them so logs stay plain text.
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$tmp" 2>&1 </dev/null | sed 's/\x1b\[[0-9;]*m//g' >&2; then
    rm -rf "$tmp"
    die "mvn could not fetch Kafka $version: check that Maven Central (https://repo.maven.apache.org) is reachable, or configure a mirror or proxy in ~/.m2/settings.xml, then run 'kafka.sh fetch' again"
  fi
  [[ -f "$tmp/kafka_2.13-$version.jar" ]] || {
    rm -rf "$tmp"
    die "mvn finished but kafka_2.13-$version.jar is missing from the download; run 'mvn -B -f $POM dependency:tree' to see what it resolved"
  }
  pom_hash >"$tmp/$(basename "$(stamp_file)")"
  # Swap the whole directory so a broker never starts from a half-copied classpath.
  rm -rf "$LIBS_DIR.old"
  [[ -d "$LIBS_DIR" ]] && mv "$LIBS_DIR" "$LIBS_DIR.old"
  mv "$tmp" "$LIBS_DIR"
  rm -rf "$LIBS_DIR.old"
  exec 8>&-
  info "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars"
}

# --- start -------------------------------------------------------------------------------------

write_properties() {
  local ctrl=$((PORT + 1))
  cat >"$PROPS_FILE" <<EOF
# Written by deploy/kafka/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$ctrl
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$ctrl
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA_DIR

# One node: every internal topic has one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions than the default 50: the first consumer group joins faster.
offsets.topic.num.partitions=5
num.partitions=1
auto.create.topics.enable=true
delete.topic.enable=true
# Consumer groups form at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0

# Sized for a 2-core machine; flush settings stay at the defaults (the OS page cache decides).
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
num.replica.fetchers=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=33554432
EOF
  [[ "$SECURITY" == 1 ]] && write_security_properties
  return 0
}

# A self-signed server certificate for 127.0.0.1 and localhost in a PKCS12 keystore, and its PEM
# for clients to trust. keytool comes with every JRE, so no other tool is needed.
make_tls() {
  [[ -f "$TLS_DIR/server.p12" && -f "$TLS_DIR/ca.pem" ]] && return 0
  mkdir -p "$TLS_DIR"
  rm -f "$TLS_DIR/server.p12" "$TLS_DIR/ca.pem"
  keytool -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 3650 \
    -dname "CN=localhost, O=shopfloor test broker" -ext "SAN=ip:127.0.0.1,dns:localhost" -ext "BC=ca:true" \
    -keystore "$TLS_DIR/server.p12" -storetype PKCS12 -storepass shopfloor -keypass shopfloor >/dev/null 2>&1 ||
    die "keytool could not make the test broker's certificate in $TLS_DIR"
  keytool -exportcert -rfc -alias broker -keystore "$TLS_DIR/server.p12" -storepass shopfloor \
    -file "$TLS_DIR/ca.pem" >/dev/null 2>&1 || die "keytool could not export $TLS_DIR/ca.pem"
}

write_security_properties() {
  local jaas_plain="org.apache.kafka.common.security.plain.PlainLoginModule required user_${SASL_USER}=\"${SASL_PASSWORD}\";"
  local jaas_scram="org.apache.kafka.common.security.scram.ScramLoginModule required;"
  local ctrl=$((PORT + 1)) sasl=$((PORT + 2)) sasl_ssl=$((PORT + 3)) ssl=$((PORT + 4))
  # The plain listener stays first: `properties_port` and the tests' plain clients use it.
  sed -i \
    -e "s|^listeners=.*|listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$ctrl,SASL_PLAINTEXT://127.0.0.1:$sasl,SASL_SSL://127.0.0.1:$sasl_ssl,SSL://127.0.0.1:$ssl|" \
    -e "s|^advertised.listeners=.*|advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,SASL_PLAINTEXT://127.0.0.1:$sasl,SASL_SSL://127.0.0.1:$sasl_ssl,SSL://127.0.0.1:$ssl|" \
    -e "s|^listener.security.protocol.map=.*|listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL|" \
    "$PROPS_FILE"
  cat >>"$PROPS_FILE" <<EOF

# SHOPFLOOR_KAFKA_SECURITY=1: SASL (PLAIN, SCRAM) and TLS listeners for one test user.
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=$jaas_plain
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=$jaas_scram
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$jaas_scram
listener.name.sasl_ssl.plain.sasl.jaas.config=$jaas_plain
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$jaas_scram
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$jaas_scram
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS_DIR/server.p12
ssl.keystore.password=shopfloor
ssl.key.password=shopfloor
EOF
}

# Format the data dir once; later starts reuse it (and its topics), also on another port: the
# controller re-registers its new endpoint.
format_storage() {
  [[ -f "$DATA_DIR/meta.properties" ]] && return 0
  mkdir -p "$DATA_DIR"
  local cluster_id out
  cluster_id="$(java -cp "$LIBS_DIR/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)" ||
    die "kafka.tools.StorageTool random-uuid failed; run 'kafka.sh fetch' and try again"
  local scram=()
  # SCRAM credentials live in the cluster metadata: KRaft takes them at format time.
  [[ "$SECURITY" == 1 ]] && scram=(--add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SASL_PASSWORD]"
    --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]")
  if ! out="$(java -Xmx256m "-Dlog4j2.configurationFile=$LOG4J_CONFIG" -cp "$LIBS_DIR/*" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS_FILE" --standalone "${scram[@]}" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "formatting $DATA_DIR failed (output above); 'kafka.sh reset' deletes the data dir so the next start formats it afresh"
  fi
}

print_log_tail() {
  [[ -f "$LOG_FILE" ]] || return 0
  printf -- '--- last 40 lines of %s ---\n' "$LOG_FILE" >&2
  tail -n 40 "$LOG_FILE" >&2
  printf -- '--- end of log ---\n' >&2
}

cmd_start() {
  require_port
  local pid
  if pid="$(broker_pid)"; then
    local running_port
    running_port="$(properties_port)"
    if [[ -n "$running_port" && "$running_port" != "$PORT" ]]; then
      die "the broker of $KAFKA_HOME_DIR already runs on 127.0.0.1:$running_port (pid $pid), not $PORT: 'kafka.sh stop' it first to change SHOPFLOOR_KAFKA_PORT, or use another SHOPFLOOR_KAFKA_HOME"
    fi
    if port_open "$PORT"; then
      printf '127.0.0.1:%s\n' "$PORT"
      return 0
    fi
    die "the broker (pid $pid) runs but does not answer on 127.0.0.1:$PORT; see $LOG_FILE, or 'kafka.sh stop' and start again"
  fi
  if port_open "$PORT" || port_open $((PORT + 1)) || { [[ "$SECURITY" == 1 ]] && { port_open $((PORT + 2)) || port_open $((PORT + 3)) || port_open $((PORT + 4)); }; }; then
    die "port $PORT or $((PORT + 1)) on 127.0.0.1 is taken by another process (not the broker of $KAFKA_HOME_DIR): stop it, or pick other ports with SHOPFLOOR_KAFKA_PORT"
  fi
  require_java
  cmd_fetch
  mkdir -p "$RUN_DIR"
  rm -f "$PID_FILE"
  [[ "$SECURITY" == 1 ]] && make_tls
  write_properties
  format_storage
  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"

  local started=$SECONDS
  # setsid: the broker must outlive the shell (and the test runner) that started it, and must
  # not receive the terminal's Ctrl-C meant for that runner; `stop` ends it.
  setsid java "${JAVA_OPTS[@]}" "${EXTRA_JAVA_OPTS[@]}" -cp "$LIBS_DIR/*" \
    kafka.Kafka "$PROPS_FILE" </dev/null >"$LOG_FILE" 2>&1 &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  info "starting Kafka $(kafka_version) (pid $pid) on 127.0.0.1:$PORT, log: $LOG_FILE"

  while true; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      print_log_tail
      die "the broker exited during start-up (log tail above); 'kafka.sh reset' clears its data if that is the cause"
    fi
    if port_open "$PORT" && grep -q 'Kafka Server started' "$LOG_FILE" 2>/dev/null; then
      break
    fi
    if ((SECONDS - started >= START_TIMEOUT_S)); then
      print_log_tail
      kill -TERM "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      die "the broker did not serve on 127.0.0.1:$PORT within ${START_TIMEOUT_S} s (log tail above); it has been stopped"
    fi
    sleep 0.25
  done
  info "broker ready in $((SECONDS - started)) s"
  printf '127.0.0.1:%s\n' "$PORT"
}

# --- stop, status, reset -----------------------------------------------------------------------

cmd_stop() {
  local pid
  if ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE"
    info "not running ($KAFKA_HOME_DIR)"
    return 0
  fi
  info "stopping the broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= STOP_TIMEOUT_S * 4)); then
      info "no exit ${STOP_TIMEOUT_S} s after SIGTERM: sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.25
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE"
  info "stopped"
}

cmd_status() {
  require_port
  local pid port
  if pid="$(broker_pid)"; then
    port="$(properties_port)"
    port="${port:-$PORT}"
    if port_open "$port"; then
      printf 'running  pid %s  127.0.0.1:%s  home %s\n' "$pid" "$port" "$KAFKA_HOME_DIR"
      return 0
    fi
    printf 'starting or unhealthy  pid %s  port %s not answering  log %s\n' "$pid" "$port" "$LOG_FILE"
    return 1
  fi
  printf 'stopped  home %s\n' "$KAFKA_HOME_DIR"
  return 3
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA_DIR"
  info "deleted $DATA_DIR"
}

case "${1:-}" in
fetch) cmd_fetch ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
reset) cmd_reset ;;
-h | --help | help) usage ;;
*)
  usage
  exit 2
  ;;
esac
