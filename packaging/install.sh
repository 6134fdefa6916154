#!/usr/bin/env bash
# Install (or upgrade) a dkfi node from this offline bundle, with no network: pip installs only from the bundle's
# wheelhouse (--no-index, the machine's pip configuration ignored). See README.md beside this file.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: ./install.sh [--prefix DIR] [--python PYTHON] [--config FILE] [--no-start]

Installs dkfi from this bundle into DIR (default /opt/dkfi):
  DIR/venv/          a virtual environment with dkfi and every dependency, from wheelhouse/ only
  DIR/etc/dkfi.env   the node's settings (from --config FILE, else dkfi.env.example; kept on an upgrade)
  DIR/var/           the data folder (DKFI_DATA_DIR of the example)
  DIR/bin/dkfi       dkfi with those settings; DIR/bin/dkfi-node starts the node (dkfi serve)
after checking SHA256SUMS; then it checks the settings (dkfi config check), applies the database migrations
(dkfi db upgrade) and starts the node.

  --prefix DIR      where to install (made if missing)
  --python PYTHON   the Python to build the environment with (default python3); it must be the Python
                    version and platform the bundle was made for (BUNDLE.json)
  --config FILE     settings file to install as DIR/etc/dkfi.env on the first install
  --no-start        do not start the node; print how to
  -h, --help        this text
EOF
}

die() { echo "install.sh: error: $*" >&2; exit 1; }
usage_error() { echo "install.sh: $*" >&2; usage >&2; exit 2; }
value() { [ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"; }

PREFIX=/opt/dkfi
PY=python3
CONFIG=""
START=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) value "$@"; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --python) value "$@"; PY=$2; shift 2 ;;
    --python=*) PY=${1#*=}; shift ;;
    --config) value "$@"; CONFIG=$2; shift 2 ;;
    --config=*) CONFIG=${1#*=}; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

[ -z "$CONFIG" ] || [ -f "$CONFIG" ] || usage_error "--config $CONFIG: no such file"
[ -z "$CONFIG" ] || CONFIG=$(cd "$(dirname "$CONFIG")" && pwd)/$(basename "$CONFIG")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STEPS=6
step() { echo "[$1/$STEPS] $2"; }

step 1 "checking the bundle's files against SHA256SUMS"
[ -f "$HERE/SHA256SUMS" ] || die "$HERE/SHA256SUMS is missing: the bundle is incomplete"
if command -v sha256sum >/dev/null 2>&1; then
  (cd "$HERE" && sha256sum --check --quiet --strict SHA256SUMS) \
    || die "a file of the bundle is damaged or missing (above)"
else
  command -v "$PY" >/dev/null 2>&1 || die "$PY not found (--python)"
  "$PY" - "$HERE" <<'EOF' || die "a file of the bundle is damaged or missing (above)"
import hashlib, pathlib, sys
here = pathlib.Path(sys.argv[1])
bad = 0
for line in (here / "SHA256SUMS").read_text().splitlines():
    digest, name = line.split(None, 1)
    path = here / name.lstrip("*")
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        print(f"{name}: FAILED", file=sys.stderr)
        bad += 1
sys.exit(1 if bad else 0)
EOF
fi

step 2 "checking $PY against the bundle (BUNDLE.json)"
command -v "$PY" >/dev/null 2>&1 || die "$PY not found: name the Python with --python"
VERSION=$("$PY" - "$HERE/BUNDLE.json" <<'EOF'
import json, sys, sysconfig
b = json.load(open(sys.argv[1], encoding="utf-8"))
tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
if (tag, plat) != (b["python"], b["platform"]):
    sys.exit(f"install.sh: error: this bundle is for {b['python']} on {b['platform']}, but {sys.executable} is "
             f"{tag} on {plat}: name a matching Python with --python, or make a bundle on such a machine")
print(b["version"])
EOF
) || exit 1

mkdir -p "$PREFIX" || die "cannot make $PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
VENV=$PREFIX/venv
step 3 "installing dkfi $VERSION into $VENV (from wheelhouse/, no network)"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV" \
    || die "could not make a virtual environment with $PY (Debian/Ubuntu: apt-get install python3-venv)"
fi
# Only the bundle: the machine's pip settings (an index, extra links, constraints) are not read.
unset PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_FIND_LINKS PIP_CONSTRAINT PIP_REQUIREMENT PIP_REQUIRE_VIRTUALENV
PIP_CONFIG_FILE=/dev/null "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
  --no-compile --find-links "$HERE/wheelhouse" --upgrade "dkfi==$VERSION" \
  || die "pip could not install dkfi $VERSION from $HERE/wheelhouse (above)"
# bytecode now, on every core (pip compiles on one), so a node whose code is read-only starts fast
"$VENV/bin/python" -m compileall -q -j 0 "$VENV/lib" >/dev/null \
  || echo "      note: some installed files did not compile (listed above); Python compiles them when imported"

step 4 "settings: $PREFIX/etc/dkfi.env"
mkdir -p "$PREFIX/etc" "$PREFIX/bin"
ENV_FILE=$PREFIX/etc/dkfi.env
if [ -e "$ENV_FILE" ]; then
  echo "      kept (an upgrade never overwrites it; compare with $HERE/dkfi.env.example)"
elif [ -n "$CONFIG" ]; then
  install -m 600 "$CONFIG" "$ENV_FILE"
  echo "      from $CONFIG"
else
  # the example, with its data folder under the prefix
  "$PY" - "$HERE/dkfi.env.example" "$ENV_FILE" "$PREFIX/var" <<'EOF'
import os, shlex, sys
src, dst, data = sys.argv[1:4]
lines = [f"DKFI_DATA_DIR={shlex.quote(data)}" if ln.startswith("DKFI_DATA_DIR=") else ln
         for ln in open(src, encoding="utf-8").read().splitlines()]
fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "w", encoding="utf-8") as fh:
    fh.write("\n".join(lines) + "\n")
EOF
  echo "      from dkfi.env.example, DKFI_DATA_DIR=$PREFIX/var (edit it: DKFI_NATION, the database, partners)"
fi

q() { printf '%q' "$1"; }
cat >"$PREFIX/bin/dkfi" <<EOF
#!/usr/bin/env bash
# dkfi with this node's settings ($(q "$ENV_FILE")); written by install.sh
set -a; . $(q "$ENV_FILE"); set +a
exec $(q "$VENV/bin/dkfi") "\$@"
EOF
cat >"$PREFIX/bin/dkfi-node" <<EOF
#!/usr/bin/env bash
# Start this dkfi node (dkfi serve) with its settings ($(q "$ENV_FILE")); extra options go to dkfi serve.
set -a; . $(q "$ENV_FILE"); set +a
exec $(q "$VENV/bin/dkfi") serve --host "\${DKFI_HOST:-127.0.0.1}" --port "\${DKFI_PORT:-8000}" "\$@"
EOF
chmod 755 "$PREFIX/bin/dkfi" "$PREFIX/bin/dkfi-node"

step 5 "checking the settings (dkfi config check), then the database migrations (dkfi db upgrade)"
"$PREFIX/bin/dkfi" config check || die "fix the setting named above in $ENV_FILE, then run install.sh again"
DATA_DIR=$(set -a; . "$ENV_FILE"; set +a; echo "${DKFI_DATA_DIR:-var}")
mkdir -p "$DATA_DIR" || die "cannot make the data folder $DATA_DIR (DKFI_DATA_DIR in $ENV_FILE)"
"$PREFIX/bin/dkfi" db upgrade || die "the migrations failed (above); check DKFI_DATABASE_URL in $ENV_FILE"
"$PREFIX/bin/dkfi" db current

cat <<EOF
      installed: $PREFIX (dkfi $VERSION; migrations also readable in $HERE/migrations)
      first account (an admin; --nation is this node's):
        echo 'a long password' | $(q "$PREFIX/bin/dkfi") users add admin --nation DNK --clearance SECRET --role admin
      start the node: $(q "$PREFIX/bin/dkfi-node")      (health: /healthz, ready: /readyz)
EOF
if [ "$START" = 0 ]; then
  step 6 "not starting (--no-start)"
  exit 0
fi
step 6 "starting the node: $PREFIX/bin/dkfi-node"
exec "$PREFIX/bin/dkfi-node"
