#!/bin/sh
# compare_builds.sh OLD_BUILD NEW_BUILD [ROUNDS]
#
# Two builds of weir side by side, interleaved (old, new, old, new...), so the
# machine's noise falls on both: weir_bench_serve (4 scenarios, no Portkey)
# and weir_bench_chat, both run from NEW_BUILD's bench programs with each
# build's weir binary (--weir). OLD_BUILD and NEW_BUILD are build directories
# (e.g. /work/wt-old/build build). Prints one JSON object per run (NDJSON) on
# stdout with the load average before it; progress goes to stderr.
#
#   bench/compare_builds.sh ../old/build build 3 > runs.ndjson
#
# Read the medians and ratios across rounds, not one run.
set -eu
old_build=$1
new_build=$2
rounds=${3:-3}
serve_seconds=${SERVE_SECONDS:-4}
chat_iterations=${CHAT_ITERATIONS:-100}
bench=$new_build/bench

for round in $(seq 1 "$rounds"); do
  for which in old new; do
    if [ "$which" = old ]; then build=$old_build; else build=$new_build; fi
    weir=$build/cli/weir
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "round $round $which: serve (load $load)" >&2
    serve=$("$bench/weir_bench_serve" --weir "$weir" --no-portkey --rounds 1 --seconds "$serve_seconds" \
      --loaded-seconds "$serve_seconds" --scenarios c1_non_stream,c1_stream,c64_non_stream,c64_stream)
    chat_load=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "round $round $which: chat (load $chat_load)" >&2
    chat=$("$bench/weir_bench_chat" --weir "$weir" --iterations "$chat_iterations")
    printf '{"round": %s, "build": "%s", "weir": "%s", "load_before_serve": "%s", "load_before_chat": "%s", "serve": %s, "chat": %s}\n' \
      "$round" "$which" "$weir" "$load" "$chat_load" "$(echo "$serve" | tr -d '\n')" "$(echo "$chat" | tr -d '\n')"
  done
done
