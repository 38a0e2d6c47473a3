#!/bin/sh
# Rebuilds the fixture catalogues of this directory (see README.md). Needs the siqaco
# binaries of the releases with schema version 1 and 2 (SIQACO_V1, SIQACO_V2), the
# mseedindex 3 of PyPI (MSEEDINDEX3) and mseedindex 2.6 (MSEEDINDEX26), and the shared test
# data ($SIQACO_TEST_DATA).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=/tmp/siqaco-adopt-fixture/sds
rm -rf /tmp/siqaco-adopt-fixture
while read -r f; do
  mkdir -p "$root/$(dirname "$f")"
  cp -p "$SIQACO_TEST_DATA/sds-small/$f" "$root/$f"
done < "$here/files.txt"
# one modification time for every file (the tests give their copies the same)
find "$root" -type f -exec touch -m -d @1767225600 {} +
rm -f "$here"/*.sqlite
"$SIQACO_V1" index "$root" --db "$here/siqaco-v1.sqlite" --hash
"$SIQACO_V2" index "$root" --db "$here/siqaco-v2.sqlite" --hash
while read -r f; do
  "$MSEEDINDEX3" -sqlite "$here/mseedindex-3.0.8.sqlite" "$root/$f"
  # libmseed 2 cannot read miniSEED 3 (and refuses one more file): those get no rows
  "$MSEEDINDEX26" -sqlite "$here/mseedindex-2.6.sqlite" "$root/$f" || true
done < "$here/files.txt"
# small pages: a few KB a catalogue
for db in "$here"/*.sqlite; do
  sqlite3 "$db" "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;" >/dev/null
done
