#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan, the language library instrumented) and
# fuzzes the parser and checker (tests/fuzz/parse_fuzz.cc) for SECONDS (default 60), niced, in
# one process, with a seed corpus from examples/ and tests/ that grows in build-fuzz/corpus.
# Usage: tests/fuzz/run.sh [SECONDS]   Crashes are written to build-fuzz/findings/.
set -eu
seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -g -O1"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$flags" \
  -DORCH_BUILD_FUZZ=ON -DORCH_BUILD_TESTS=OFF -DORCH_BUILD_BENCH=OFF >/dev/null
# clang 14 rejects the ANTLR 4.9 runtime's misc/InterpreterDataReader.h (unused here) under
# libstdc++. The generated parser's directory comes first on the include path, so a copy of
# antlr4-runtime.h without that header, put there, is the one every file includes.
mkdir -p "$build/generated/grammar"
grep -v 'misc/InterpreterDataReader.h' /usr/include/antlr4-runtime/antlr4-runtime.h \
  >"$build/generated/grammar/antlr4-runtime.h"
nice cmake --build "$build" -j2 --target parse_fuzz
corpus="$build/corpus"
mkdir -p "$corpus" "$build/findings"
# Seeds: every .orch file in the repository plus small files of each construct.
find "$root/examples" "$root/tests" -name '*.orch' -type f 2>/dev/null | while read -r f; do
  cp "$f" "$corpus/$(echo "$f" | md5sum | cut -c1-16).orch"
done
printf 'a = "x${y}%%{if c}z%%{endif}"\nb = <<-EOT\n  h ${i}\n  EOT\n' >"$corpus/seed-template"
printf 'r "t" "n" {\n  l = [for k, v in m : k => v... if v]\n  s = a[*].b\n}\n' >"$corpus/seed-block"
printf 'x = {a = 1, "b": 2, (c) = 3}\ny = f(1, [2]...) ? -a.0 : !b || c && d\n' >"$corpus/seed-ops"
printf 'resource "fz_machine" "m" {\n  count = 2\n  name  = "m${count.index}"\n  disk {\n    size_gb = 10\n  }\n}\n' >"$corpus/seed-resource"
printf 'variable "v" {\n  type = object({ a = optional(string), b = list(number) })\n  validation {\n    condition     = var.v.a != ""\n    error_message = "no"\n  }\n}\nlocals {\n  x = local.y\n  y = local.x\n}\noutput "o" { value = var.v }\n' >"$corpus/seed-module"
cd "$build/findings"
exec nice "$build/parse_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -rss_limit_mb=4096 -print_final_stats=1 "$corpus"
