#!/usr/bin/env bash
# `cmake --install` (no root: into a temporary prefix) puts the binary, the
# man page and the three completion scripts in the standard places, and the
# installed weir runs.
#   install_tree.sh BUILD_DIR
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null

status=0
for file in bin/weir share/man/man1/weir.1 share/bash-completion/completions/weir \
  share/zsh/vendor-completions/_weir share/fish/vendor_completions.d/weir.fish; do
  if [ -f "$prefix/$file" ]; then echo "ok: $file"; else echo "FAIL: $file is not installed" >&2; status=1; fi
done
extra=$(cd "$prefix" && find . -type f | sed 's|^\./||' | grep -vxE 'bin/weir|share/man/man1/weir\.1|share/bash-completion/completions/weir|share/zsh/vendor-completions/_weir|share/fish/vendor_completions\.d/weir\.fish' || true)
if [ -n "$extra" ]; then echo "FAIL: unexpected files installed: $extra" >&2; status=1; fi
version=$("$prefix/bin/weir" --version)
case $version in
weir\ *) echo "ok: installed $prefix/bin/weir --version: $version" ;;
*) echo "FAIL: installed weir --version printed '$version'" >&2; status=1 ;;
esac
exit "$status"
