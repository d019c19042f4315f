#!/usr/bin/env bash
# The .deb that `cpack` makes installs on this Debian 12 system without root
# or containers: its files are where Debian expects them, every Depends is a
# Debian package installed here at a version that satisfies it, every shared
# library the packaged binary links to belongs to a package named in Depends
# (and every other one `ldd` shows, to one they bring in), libcurl4 (loaded
# with dlopen) is named too, and the binary runs from the unpacked tree
# (`dpkg -x`).
#   deb_package.sh BUILD_DIR
set -euo pipefail
build=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

if ! cpack --config "$build/CPackConfig.cmake" -B "$scratch/package" >"$scratch/cpack.log" 2>&1; then
  cat "$scratch/cpack.log" >&2
  echo "FAIL: cpack did not make the package" >&2
  exit 1
fi
deb=$(find "$scratch/package" -maxdepth 1 -name '*.deb')
[ "$(wc -l <<<"$deb")" -eq 1 ] && [ -n "$deb" ] || { echo "FAIL: expected one .deb, found: $deb" >&2; exit 1; }
echo "ok: built $(basename "$deb")"

[ "$(dpkg-deb -f "$deb" Package)" = weir ] || fail "the package is not named weir"
[ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "the package has no Maintainer"
[ -n "$(dpkg-deb -f "$deb" Description)" ] || fail "the package has no Description"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for file in ./usr/bin/weir ./usr/share/man/man1/weir.1 ./usr/share/bash-completion/completions/weir \
  ./usr/share/zsh/vendor-completions/_weir ./usr/share/fish/vendor_completions.d/weir.fish; do
  grep -qxF "$file" <<<"$contents" && echo "ok: the package holds $file" || fail "the package lacks $file"
done

# Depends: "a (>= 1), b | c (>= 2)": each group needs one installed alternative
# that satisfies its version.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
[ -n "$depends" ] || fail "the package has no Depends"
declare -A depended=()
IFS=',' read -ra groups <<<"$depends"
for group in "${groups[@]}"; do
  satisfied=""
  IFS='|' read -ra alternatives <<<"$group"
  for alternative in "${alternatives[@]}"; do
    [ -z "$satisfied" ] || break
    name=$(awk '{print $1}' <<<"$alternative")
    depended[$name]=1
    relation=$(sed -n 's/.*(\(.*\)).*/\1/p' <<<"$alternative")
    status=$(dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null || true)
    [ "$status" = installed ] || continue
    if [ -n "$relation" ]; then
      operator=$(awk '{print $1}' <<<"$relation") wanted=$(awk '{print $2}' <<<"$relation")
      case $operator in '>=') operator=ge ;; '<=') operator=le ;; '>>') operator=gt ;; '<<') operator=lt ;; '=') operator=eq ;; esac
      dpkg --compare-versions "$(dpkg-query -W -f='${Version}' "$name")" "$operator" "$wanted" || continue
    fi
    satisfied=$name
  done
  group=$(sed 's/^ *//' <<<"$group")
  if [ -n "$satisfied" ]; then echo "ok: Depends $group: $satisfied is installed"; else fail "Depends $group: nothing installed satisfies it"; fi
done
# weir loads libcurl with dlopen, which dpkg-shlibdeps cannot see.
[ -n "${depended[libcurl4]:-}" ] || fail "Depends does not name libcurl4, which weir loads at run time"
[ -n "${depended[libssl3]:-}" ] || fail "Depends does not name libssl3 (libcrypto.so.3), which weir loads at run time"
[ -n "${depended[libxml2]:-}" ] || fail "Depends does not name libxml2, which the open_url tool loads at run time"
[ -n "${depended[libzip4]:-}" ] || fail "Depends does not name libzip4, which weir batch add loads at run time"

root=$scratch/root
dpkg -x "$deb" "$root"
weir=$root/usr/bin/weir

# The packages Depends brings in, directly or through their own Depends.
declare -A brought=()
queue=("${!depended[@]}")
while ((${#queue[@]})); do
  name=${queue[0]}
  queue=("${queue[@]:1}")
  [ -z "${brought[$name]:-}" ] || continue
  brought[$name]=1
  for next in $(dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$name" 2>/dev/null |
    tr ',|' '\n\n' | awk 'NF {print $1}' | sed 's/:.*//'); do
    [ -n "${brought[$next]:-}" ] || queue+=("$next")
  done
done

# Every library the binary names (DT_NEEDED, and the dynamic loader) belongs
# to a package in Depends; every library ldd shows, to one Depends brings in
# (e.g. libstdc++6 under libasan8 in a sanitizer build).
needed=" $(readelf -d "$weir" | sed -n 's/.*Shared library: \[\(.*\)\].*/\1/p' | tr '\n' ' ') "
interpreter=$(readelf -l "$weir" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
while read -r soname library; do
  owner=""
  for candidate in "$library" "$(readlink -f "$library")" "${library#/usr}" "/usr$library"; do
    owner=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
  done
  if [ -z "$owner" ]; then
    fail "ldd shows $library, which no Debian package owns"
  elif [[ $needed == *" $soname "* || $library == "$interpreter" ]]; then
    if [ -n "${depended[$owner]:-}" ]; then
      echo "ok: $soname, which weir links to, is in $owner, named in Depends"
    else
      fail "weir links to $soname from $owner, which Depends does not name"
    fi
  elif [ -n "${brought[$owner]:-}" ]; then
    echo "ok: $soname, loaded for another library, is in $owner, which Depends brings in"
  else
    fail "ldd shows $library from $owner, which nothing in Depends brings in"
  fi
done < <(ldd "$weir" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3} $1 ~ /^\// {print $1, $1}')

version=$("$weir" --version)
[ "$version" = "weir $(dpkg-deb -f "$deb" Version)" ] && echo "ok: $weir --version: $version" ||
  fail "the unpacked weir --version printed '$version'"
details=$("$weir" version)
grep -q '^libcurl [0-9]' <<<"$details" && echo "ok: the unpacked weir loads libcurl" ||
  fail "the unpacked weir did not load libcurl: $details"
bash --norc --noprofile -c 'source "$1" && complete -p weir' bash "$root/usr/share/bash-completion/completions/weir" \
  >/dev/null || fail "the packaged bash completion does not load"
warnings=$(LANG=C.UTF-8 MANWIDTH=80 man --warnings -l "$root/usr/share/man/man1/weir.1" 2>&1 >/dev/null)
[ -z "$warnings" ] || fail "the packaged man page has warnings: $warnings"

if ((failures)); then
  echo "$failures package check(s) failed" >&2
  exit 1
fi
