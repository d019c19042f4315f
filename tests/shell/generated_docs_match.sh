#!/usr/bin/env bash
# The committed completion scripts and man page are exactly what this build of
# weir generates from its command definitions (build/generated).
#   generated_docs_match.sh GENERATED_DIR SOURCE_DIR
set -euo pipefail
generated=$1 source=$2
status=0
for file in completions/weir.bash completions/_weir completions/weir.fish man/weir.1; do
  if ! diff -u "$source/$file" "$generated/$file"; then
    echo "FAIL: $file differs from what weir generates from its command definitions" >&2
    status=1
  fi
done
if ((status)); then
  echo "Run \`cmake --build --preset default --target regenerate_docs\` and commit the result." >&2
fi
exit "$status"
