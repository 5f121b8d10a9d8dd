#!/usr/bin/env bash
# Writes a tiny synthetic MNIST-format data set (the four IDX ubyte files, 28x28 images, labels
# 0..9) into a folder, with bash and awk only, so the command-line tests need neither real MNIST
# nor python:
#   make_idx.sh DIR TRAIN_COUNT TEST_COUNT
# Image i has label i % 10: a bright 8x8 square whose position depends on the label, over a faint
# background pattern that varies with i, so a classifier has something to learn. Deterministic.
set -euo pipefail
export LC_ALL=C

dir=$1
train_count=$2
test_count=$3
mkdir -p "$dir"

# A 32-bit big-endian integer as four bytes.
be32() {
    printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))"
    printf "\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"
}

# awk's printf "%c" cannot write byte 0, so it writes value + 1 and tr shifts every byte down by one.
shift_down() { tr '\001-\377' '\000-\376'; }

# count images starting at index first: [count, 28, 28] pixel bytes in 0..254.
pixels() {
    awk -v n="$1" -v first="$2" 'BEGIN {
        for (i = first; i < first + n; ++i) {
            label = i % 10; top = 2 + 4 * int(label / 5); left = 2 + 4 * (label % 5)
            for (r = 0; r < 28; ++r) for (c = 0; c < 28; ++c) {
                if (r >= top && r < top + 8 && c >= left && c < left + 8) v = 200 + (i * 7 + r + c) % 55
                else v = (i * 13 + r * 3 + c * 5) % 40
                printf "%c", v + 1
            }
        }
    }' | shift_down
}
labels() {
    awk -v n="$1" -v first="$2" 'BEGIN { for (i = first; i < first + n; ++i) printf "%c", i % 10 + 1 }' | shift_down
}

write_split() {  # prefix count first
    { printf '\x00\x00\x08\x03'; be32 "$2"; be32 28; be32 28; pixels "$2" "$3"; } >"$dir/$1-images-idx3-ubyte"
    { printf '\x00\x00\x08\x01'; be32 "$2"; labels "$2" "$3"; } >"$dir/$1-labels-idx1-ubyte"
}
write_split train "$train_count" 0
write_split t10k "$test_count" "$train_count"
