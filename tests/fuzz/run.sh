#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan, whole library instrumented) and fuzzes
# the parser for SECONDS (default 60) with a seed corpus from examples/ and tests/.
# Usage: tests/fuzz/run.sh [SECONDS]   Findings are written to build-fuzz/findings/.
set -eu
seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"
# clang 14 rejects the ANTLR 4.9 runtime's misc/InterpreterDataReader.h (unused here) under
# libstdc++: an overlay antlr4-runtime.h without it is found first.
overlay="$build/overlay"
mkdir -p "$overlay"
grep -v 'misc/InterpreterDataReader.h' /usr/include/antlr4-runtime/antlr4-runtime.h \
  >"$overlay/antlr4-runtime.h"
flags="-isystem $overlay -fsanitize=fuzzer-no-link,address,undefined"
flags="$flags -fno-sanitize-recover=undefined -g -O1"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$flags" \
  -DORCH_BUILD_FUZZ=ON -DORCH_BUILD_TESTS=OFF -DORCH_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j2 --target parse_fuzz
corpus="$build/corpus"
mkdir -p "$corpus" "$build/findings"
# Seeds: every .orch file in the repository plus small files of each construct.
find "$root/examples" "$root/tests" -name '*.orch' -type f 2>/dev/null | while read -r f; do
  cp "$f" "$corpus/$(echo "$f" | md5sum | cut -c1-16).orch"
done
printf 'a = "x${y}%%{if c}z%%{endif}"\nb = <<-EOT\n  h ${i}\n  EOT\n' >"$corpus/seed-template"
printf 'r "t" "n" {\n  l = [for k, v in m : k => v... if v]\n  s = a[*].b\n}\n' >"$corpus/seed-block"
printf 'x = {a = 1, "b": 2, (c) = 3}\ny = f(1, [2]...) ? -a.0 : !b || c && d\n' >"$corpus/seed-ops"
cd "$build/findings"
"$build/parse_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
  -print_final_stats=1 "$corpus"
