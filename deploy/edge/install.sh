#!/usr/bin/env bash
# Installs, upgrades or removes the shopfloor edge agent on a gateway (Debian, Ubuntu, or any
# systemd Linux with npm). Run from a checkout or an unpacked release of shopfloor, as root:
#
#   sudo deploy/edge/install.sh              install, or upgrade to this version
#   sudo deploy/edge/install.sh --uninstall  remove the program; keep config, state and spool
#   sudo deploy/edge/install.sh --purge      remove everything, unsent events in the spool too
#
# Layout:
#   /opt/shopfloor/releases/<version>   the program (edge, connectors, stream) and its npm packages;
#                                       no chDB, no API: a gateway carries only the agent
#   /opt/shopfloor/current              symlink to the release in use (the previous ones are kept
#                                       for a rollback: point it back and restart)
#   /opt/shopfloor/runtime              the Node.js the agent runs on, from the npm registry
#   /opt/shopfloor/bin/shopfloor        the command (also /usr/local/bin/shopfloor)
#   /etc/shopfloor/agent.yaml           the config (an example is put there on first install)
#   /etc/shopfloor/agent.env            secrets as environment variables (mode 0600)
#   /var/lib/shopfloor                  state: event sequence, OPC UA PKI, the spool
#   /etc/systemd/system/shopfloor-edge.service
#
# Options:
#   --system-node   run on the machine's node (>= 22.18) instead of installing one
#   --no-systemd    do not install or touch the systemd unit (containers, tests)
# Environment:
#   SHOPFLOOR_INSTALL_ROOT  install below this directory instead of / (tests, image builds);
#                           implies no user creation and no systemctl
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROOT="${SHOPFLOOR_INSTALL_ROOT:-}"
MIN_NODE=22.18.0
KEEP_RELEASES=3

mode=install
system_node=false
use_systemd=true
for arg in "$@"; do
  case "$arg" in
  --uninstall) mode=uninstall ;;
  --purge) mode=purge ;;
  --system-node) system_node=true ;;
  --no-systemd) use_systemd=false ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "install.sh: unknown option $arg (see --help)" >&2
    exit 2
    ;;
  esac
done
[[ -n "$ROOT" ]] && use_systemd=false

say() { printf 'shopfloor-edge: %s\n' "$*"; }
die() {
  printf 'shopfloor-edge: %s\n' "$*" >&2
  exit 1
}

OPT="$ROOT/opt/shopfloor"
ETC="$ROOT/etc/shopfloor"
VAR="$ROOT/var/lib/shopfloor"
UNIT="$ROOT/etc/systemd/system/shopfloor-edge.service"
LINK="$ROOT/usr/local/bin/shopfloor"

if [[ -z "$ROOT" && "$(id -u)" != 0 ]]; then
  die "run as root (sudo $0 $*): it creates a system user and writes to /opt, /etc and /var/lib"
fi

version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]; }
json_field() { # json_field FILE EXPR: a value from package.json, read without node (it may be missing)
  sed -n "s/^ *\"$2\": *\"\([^\"]*\)\".*/\1/p" "$1" | head -n 1
}

uninstall() {
  if $use_systemd && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now shopfloor-edge.service 2>/dev/null || true
  fi
  rm -f "$UNIT" "$LINK"
  $use_systemd && command -v systemctl >/dev/null 2>&1 && systemctl daemon-reload || true
  rm -rf "$OPT"
  say "removed the program; kept $ETC (config) and $VAR (state and spool)"
}

if [[ "$mode" == uninstall ]]; then
  uninstall
  exit 0
fi
if [[ "$mode" == purge ]]; then
  uninstall
  if [[ -d "$VAR/spool" ]] && find "$VAR/spool" -name '*.seg' -size +0 2>/dev/null | grep -q .; then
    say "warning: the spool in $VAR/spool still held events; they are deleted now"
  fi
  rm -rf "$ETC" "$VAR"
  if [[ -z "$ROOT" ]] && id shopfloor >/dev/null 2>&1; then userdel shopfloor || true; fi
  say "purged config, state, spool and the shopfloor user"
  exit 0
fi

# --- install or upgrade --------------------------------------------------------------------------

command -v npm >/dev/null 2>&1 || die "npm not found: install it first (Debian/Ubuntu: apt-get install -y npm); it fetches the agent's packages and its Node.js"
version="$(json_field "$SRC/package.json" version)"
[[ -n "$version" ]] || die "no version in $SRC/package.json: run this script from a shopfloor checkout or release"
node_version="$(sed -n '/"devDependencies"/,/}/s/^ *"node": *"\([^"]*\)".*/\1/p' "$SRC/package.json" | head -n 1)"
release="$OPT/releases/$version"

say "installing shopfloor $version from $SRC"

# 1. The service user (system account, no shell, dialout for serial Modbus).
if [[ -z "$ROOT" ]]; then
  if ! id shopfloor >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/shopfloor --no-create-home --shell /usr/sbin/nologin --user-group shopfloor
    say "created system user shopfloor"
  fi
  getent group dialout >/dev/null 2>&1 && usermod -a -G dialout shopfloor
fi

# 2. The program: only what the agent runs. A release directory per version; `current` switches.
mkdir -p "$OPT"
tmp="$(mktemp -d "$OPT/.staging.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
tar -C "$SRC" -cf - package.json package-lock.json edge connectors stream deploy/edge | tar -C "$tmp" -xf -
(
  cd "$tmp"
  # --omit=optional leaves out chDB (the embedded ClickHouse only the central side needs);
  # --omit=dev leaves out the compiler, tests and the development Node.js.
  flags=(--omit=dev --omit=optional --no-audit --no-fund --loglevel=error)
  if ! npm ci "${flags[@]}" >/dev/null 2>&1; then
    # npm/cli#9846: npm ci rejects a lockfile naming optional packages that are not published.
    npm install "${flags[@]}" --no-save
  fi
)
rm -rf "$release"
mkdir -p "$OPT/releases"
mv "$tmp" "$release"
trap - EXIT

# 3. Node.js: the version the project is tested on, from the npm registry, unless told otherwise.
node_bin="$OPT/runtime/node_modules/.bin/node"
if $system_node; then
  command -v node >/dev/null 2>&1 || die "--system-node: node is not on PATH"
  sys="$(node --version)"
  version_ge "${sys#v}" "$MIN_NODE" || die "--system-node: node $sys is older than $MIN_NODE; drop --system-node to install one"
  node_bin="$(command -v node)"
elif [[ ! -x "$node_bin" || "$("$node_bin" --version 2>/dev/null)" != "v$node_version" ]]; then
  say "installing Node.js $node_version into $OPT/runtime"
  mkdir -p "$OPT/runtime"
  npm install --prefix "$OPT/runtime" --no-audit --no-fund --loglevel=error "node@$node_version" >/dev/null
fi
"$node_bin" --version >/dev/null || die "$node_bin does not run"

# 4. The command, pointing at `current` (paths as seen on the installed system, not below ROOT).
final_opt="${OPT#"$ROOT"}"
final_node="${node_bin#"$ROOT"}"
mkdir -p "$OPT/bin"
cat >"$OPT/bin/shopfloor" <<WRAPPER
#!/bin/sh
# shopfloor command of the edge install (deploy/edge/install.sh).
exec "$final_node" "$final_opt/current/edge/cli/shopfloor.ts" "\$@"
WRAPPER
chmod 0755 "$OPT/bin/shopfloor"
mkdir -p "$(dirname "$LINK")"
ln -sfn "$final_opt/bin/shopfloor" "$LINK"

# Switch atomically, then keep the newest few releases.
ln -sfn "releases/$version" "$OPT/current.new"
mv -T "$OPT/current.new" "$OPT/current"
ls -1dt "$OPT/releases"/* 2>/dev/null | tail -n +$((KEEP_RELEASES + 1)) | while read -r old; do
  [[ "$old" == "$release" ]] || rm -rf "$old"
done

# 5. Config and state. An existing config is never overwritten.
mkdir -p "$ETC" "$VAR"
if [[ ! -f "$ETC/agent.yaml" ]]; then
  cp "$SRC/deploy/edge/agent.example.yaml" "$ETC/agent.yaml"
  say "wrote an example config to $ETC/agent.yaml: edit it for this plant"
fi
if [[ ! -f "$ETC/agent.env" ]]; then
  cp "$SRC/deploy/edge/agent.env.example" "$ETC/agent.env"
fi
chmod 0600 "$ETC/agent.env"
chmod 0640 "$ETC/agent.yaml"
chmod 0750 "$VAR"
if [[ -z "$ROOT" ]]; then
  chown root:shopfloor "$ETC" "$ETC/agent.yaml"
  chmod 0750 "$ETC"
  chown -R shopfloor:shopfloor "$VAR"
fi

# 6. The service. A running agent is restarted on the new version; a new one is not started
# until its config is edited (systemctl enable --now shopfloor-edge).
if $use_systemd; then
  install -m 0644 "$SRC/deploy/edge/shopfloor-edge.service" "$UNIT"
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload
    systemctl try-restart shopfloor-edge.service
  fi
fi

say "installed $version: $release (node $("$node_bin" --version))"
cat <<NEXT

Next:
  1. edit $ETC/agent.yaml (sources, machines, kafka) and $ETC/agent.env (passwords)
  2. shopfloor validate $ETC/agent.yaml
  3. systemctl enable --now shopfloor-edge
  4. curl -s 127.0.0.1:9464/healthz ; journalctl -u shopfloor-edge -f
NEXT
