#!/usr/bin/env bash
# Fill fuzz/corpus/NAME/ with seed inputs for each cargo-fuzz target:
#  * the inputs tests/fuzz_smoke.rs builds (a synthetic rpm header, NDB and
#    BerkeleyDB images, dpkg files, a bare OpenPGP key, the pyc fixtures),
#    written by the smoke test itself (ROOTAUDIT_FUZZ_SEEDS_OUT);
#  * real files from ../shared/realdata when it exists (header blobs, the
#    rpmdbs whole and cut to their first pages, the sqlite rows' blobs,
#    dpkg status/md5sums files, distribution keys).
# The corpus is not committed (.gitignore); nothing is copied into the
# repository. Usage: fuzz/seed.sh   (then: cargo +nightly fuzz run NAME)
set -euo pipefail
cd "$(dirname "$0")/.."
real=${ROOTAUDIT_REALDATA:-../shared/realdata}
corpus=$PWD/fuzz/corpus
targets=(rpm_header rpm_bdb rpm_ndb rpm_sqlite_blob dpkg_status dpkg_list
         dpkg_md5sums pyc_marshal openpgp_keyring pacman_mtree pacman_desc
         apk_installed portage_contents pkgsrc_plist)
for t in "${targets[@]}"; do
    mkdir -p "$corpus/$t"
done

# Copy stdin to corpus/$1 under its SHA-1 (libFuzzer's naming).
add() {
    local tmp sum
    tmp=$(mktemp)
    cat > "$tmp"
    if [ -s "$tmp" ]; then
        sum=$(sha1sum "$tmp" | cut -d' ' -f1)
        mv "$tmp" "$corpus/$1/$sum"
    else
        rm -f "$tmp"
    fi
}

# The section named $2 of the txtar file $1.
txtar_section() {
    awk -v want="-- $2 --" '/^-- .* --$/ { on = ($0 == want); next } on' "$1"
}

echo "seed.sh: seeds from tests/fuzz_smoke.rs"
ROOTAUDIT_FUZZ_SEEDS_OUT=$corpus cargo test --quiet --test tests fuzz_smoke:: >/dev/null

if [ ! -d "$real" ]; then
    echo "seed.sh: $real is absent: generated seeds only"
    exit 0
fi
echo "seed.sh: seeds from $real"

for f in "$real"/rpmdb/header-blobs/*/*.bin "$real"/rpmdb/blob.bin; do
    add rpm_header < "$f"
    add rpm_sqlite_blob < "$f"
done
sqlite=$real/rpmdb/amazonlinux2023-plain/rpmdb.sqlite
if command -v sqlite3 >/dev/null && [ -f "$sqlite" ]; then
    rows=$(mktemp -d)
    sqlite3 "file:$sqlite?immutable=1" \
        "SELECT writefile('$rows/' || hnum, blob) FROM Packages;" >/dev/null
    for f in "$rows"/*; do
        add rpm_sqlite_blob < "$f"
        add rpm_header < "$f"
    done
    rm -r "$rows"
fi

# Whole databases, and their first pages (faster to mutate).
for pair in rpm_ndb:rpmdb/sle15-bci/Packages.db rpm_bdb:rpmdb/fossa/sles12sp4/Packages; do
    t=${pair%%:*} f=$real/${pair#*:}
    [ -f "$f" ] || continue
    add "$t" < "$f"
    for n in 16384 65536 262144; do
        head -c "$n" "$f" | add "$t"
    done
done

while IFS= read -r -d '' f; do
    case $f in
        *.md5sums)
            add dpkg_md5sums < "$f"
            sed 's|^[0-9a-fA-F]*  *|/|' "$f" | add dpkg_list ;;
        */status | */status.d/*)
            add dpkg_status < "$f" ;;
    esac
done < <(find "$real/otherdb/dpkg" -type f -print0)
for f in "$real"/otherdb/dpkg/*/*.txtar; do
    txtar_section "$f" var/lib/dpkg/status | add dpkg_status
    txtar_section "$f" var/lib/dpkg/info/tar.md5sums | add dpkg_md5sums
    txtar_section "$f" var/lib/dpkg/info/tar.md5sums | sed 's|^[0-9a-fA-F]*  *|/|' | add dpkg_list
done

for f in "$real"/keys/*/* "$real"/rpms/rpm-org/keys/*; do
    if [ -f "$f" ]; then
        add openpgp_keyring < "$f"
    fi
done

# The other package managers' databases (otherdb/, see its NEW-DATA.md).
other=$real/otherdb
while IFS= read -r -d '' f; do
    case "$f" in
        */mtree) add pacman_mtree < "$f" ;;
        */desc | */files) add pacman_desc < "$f" ;;
        */lib/apk/db/installed) add apk_installed < "$f" ;;
        */CONTENTS) add portage_contents < "$f" ;;
        */+CONTENTS) add pkgsrc_plist < "$f" ;;
    esac
done < <(find "$other" -type f \( -name mtree -o -name desc -o -name files \
    -o -path '*/lib/apk/db/installed' -o -name CONTENTS -o -name +CONTENTS \) -print0 \
    2>/dev/null)

for t in "${targets[@]}"; do
    printf '%-18s %5d files\n' "$t" "$(find "$corpus/$t" -type f | wc -l)"
done
