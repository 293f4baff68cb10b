#!/bin/sh
# CTest entry "format" (tests/CMakeLists.txt): every C source and header of
# the repository is as clang-format (Debian 12: version 14) lays it out with
# .clang-format. `make format` rewrites them so. Exits 77 (CTest: skipped)
# only when clang-format is not installed (scripts/deps installs it).
#   format.sh SOURCE_DIR
set -eu
src=$1
cf=${CLANG_FORMAT:-clang-format}
if ! command -v "$cf" >/dev/null 2>&1; then
  echo "format: SKIPPED: $cf is not installed"
  exit 77
fi
cd "$src"
# The files git tracks or would (not ignored); a tree without .git (an
# unpacked archive) is walked.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h')
else
  files=$(find src tests bench fuzz -name '*.[ch]' | sort)
fi
# shellcheck disable=SC2086
if "$cf" --dry-run -Werror $files >/dev/null 2>&1; then
  echo "format: $(echo "$files" | wc -w) files as .clang-format lays them out"
  exit 0
fi
bad=""
for f in $files; do
  [ -f "$f" ] || continue # deleted in the working tree, not yet committed
  "$cf" --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -z "$bad" ]; then # what failed was a file deleted since
  echo "format: every C file present is as .clang-format lays it out"
  exit 0
fi
echo "format: not laid out as .clang-format says (run 'make format'):"
for f in $bad; do
  echo "  $f"
  "$cf" "$f" | diff -u "$f" - | sed -n '3,14p'
done
exit 1
