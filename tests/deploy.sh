#!/bin/sh
# CTest entry "deploy" (tests/CMakeLists.txt): what deploy/ ships still fits
# the binary. Every ExecStart of deploy/*.service runs with its paths moved
# into a temporary folder: serve's options must parse (--print-routes stops
# it before it listens), and the backup unit's command must make a backup of
# a real database. Then `cmake --install` into a temporary prefix must give
# bin/ruralink, the systemd units and, when web/dist is built, the dashboard.
#   deploy.sh RUALINK_BIN SOURCE_DIR BUILD_DIR
set -eu
bin=$1 src=$2 build=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rl-deploy-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/state" "$tmp/backups"
fail() { echo "deploy: FAILED: $*" >&2; exit 1; }

# The command of unit $1, its paths moved into $tmp.
exec_start() {
  line=$(sed -n 's/^ExecStart=//p' "$src/deploy/$1")
  [ -n "$line" ] || fail "$1 has no ExecStart"
  printf '%s\n' "$line" |
    sed -e "s|/usr/local/bin/ruralink|$bin|g" \
        -e "s|/var/lib/ruralink-backups|$tmp/backups|g" \
        -e "s|/var/lib/ruralink|$tmp/state|g" \
        -e "s|/usr/local/share/ruralink/web|$src/web|g"
}

serve=$(exec_start ruralink.service)
case $serve in "$bin serve "*) ;; *) fail "ruralink.service does not run serve: $serve" ;; esac
# shellcheck disable=SC2086 # the unit's words, split as systemd splits them
$serve --print-routes >"$tmp/routes.txt" || fail "serve refuses the unit's options: $serve"
grep -q '^GET /api/v1/health$' "$tmp/routes.txt" || fail "serve --print-routes printed no routes"

backup=$(exec_start ruralink-backup.service)
"$bin" migrate --db "$tmp/state/county.db" >/dev/null 2>&1 || fail "migrate"
# shellcheck disable=SC2086
$backup >"$tmp/backup.json" || fail "the backup unit's command failed: $backup"
ls "$tmp/backups"/ruralink-*.db >/dev/null 2>&1 || fail "the backup unit made no backup"
grep -q '"integrity":"ok"' "$tmp/backup.json" || fail "backup printed no integrity verdict"

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null || fail "cmake --install"
[ -x "$tmp/prefix/bin/ruralink" ] || fail "no bin/ruralink installed"
for u in ruralink.service ruralink-backup.service ruralink-backup.timer; do
  [ -f "$tmp/prefix/share/ruralink/systemd/$u" ] || fail "$u not installed"
done
if [ -f "$src/web/dist/index.html" ]; then
  [ -f "$tmp/prefix/share/ruralink/web/index.html" ] || fail "web/dist not installed"
fi
echo "deploy: ok"
