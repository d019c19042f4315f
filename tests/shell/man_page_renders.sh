#!/usr/bin/env bash
# weir.1 renders with man-db and groff without a single warning.
#   man_page_renders.sh MAN_PAGE
set -euo pipefail
page=$1
export LANG=C.UTF-8 LC_ALL=C.UTF-8 MANWIDTH=80
warnings=$(man --warnings -l "$page" 2>&1 >/dev/null)
if [ -n "$warnings" ]; then
  printf 'FAIL: man --warnings -l %s:\n%s\n' "$page" "$warnings" >&2
  exit 1
fi
text=$(man -l "$page" 2>/dev/null)
for section in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS ENVIRONMENT FILES "EXIT STATUS" EXAMPLES; do
  if ! grep -qx "$section" <<<"$text"; then
    echo "FAIL: the rendered page has no $section section" >&2
    exit 1
  fi
done
echo "ok: $page renders without warnings"
