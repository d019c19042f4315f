#!/usr/bin/env bash
# The generated completion scripts load in bash (with and without the
# bash-completion package), zsh (through compinit, driven by a real TAB in a
# pseudo-terminal) and fish, complete `weir ga<TAB>` to `gateway`, and
# complete gateway and other store names by asking weir (`__complete`) in a
# temporary home given by --home or WEIR_HOME.
#   completions.sh WEIR_BINARY COMPLETIONS_DIR
set -euo pipefail
weir=$1 completions=$2
for shell in bash zsh fish; do
  command -v "$shell" >/dev/null || { echo "FAIL: $shell is not installed; run scripts/setup" >&2; exit 1; }
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The scripts run `weir`: this build's, first on PATH.
mkdir "$scratch/bin"
ln -s "$weir" "$scratch/bin/weir"
export PATH="$scratch/bin:$PATH" NO_COLOR=1 LANG=C.UTF-8
unset WEIR_HOME
home=$scratch/home
weir --home "$home" gateway create alpha --provider local --model extractive >/dev/null
weir --home "$home" gateway create beta-bot --provider local --model extractive >/dev/null
weir --home "$home" collection create notes >/dev/null
weir --home "$home" collection create wiki >/dev/null
weir --home "$home" provider add ollama >/dev/null

failures=0
# expect NAME EXPECTED ACTUAL: EXPECTED lists the candidates separated by
# spaces, ACTUAL one per line; the order does not matter.
expect() {
  local expected actual
  expected=$(printf '%s\n' "$2" | tr ' ' '\n' | sed '/^$/d' | sort)
  actual=$(printf '%s\n' "$3" | sed '/^$/d' | sort)
  if [ "$expected" = "$actual" ]; then
    echo "ok: $1"
  else
    printf 'FAIL: %s\n  expected: %s\n  actual:   %s\n' "$1" "$(echo $expected)" "$(echo $actual)" >&2
    failures=$((failures + 1))
  fi
}

# expect_line NAME EXPECTED ACTUAL: the same text.
expect_line() {
  if [ "$2" = "$3" ]; then
    echo "ok: $1"
  else
    printf 'FAIL: %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3" >&2
    failures=$((failures + 1))
  fi
}

# ---- bash: what bash does on TAB, the function `complete -p weir` names is
# called with COMP_WORDS/COMP_CWORD set; COMPREPLY holds the candidates.
bash_load() {  # prelude
  bash --norc --noprofile -c "$1"'
    source "$0" && complete -p weir' "$completions/weir.bash" 2>&1
}
expect_line "bash loads the script" "complete -F _weir weir" "$(bash_load '')"
expect_line "bash loads the script after bash-completion" "complete -F _weir weir" \
  "$(bash_load 'source /usr/share/bash-completion/bash_completion;')"

bash_complete() {  # WORD... (the last one is being completed)
  bash --norc --noprofile -c '
    script=$1; shift
    source "$script"
    function=$(complete -p weir | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    "$function" weir "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"' bash "$completions/weir.bash" "$@"
}
expect "bash: weir ga<TAB>" "gateway" "$(bash_complete weir ga)"
expect "bash: weir gateway sh<TAB>" "show" "$(bash_complete weir gateway sh)"
expect "bash: weir --home H gateway show <TAB>" "alpha beta-bot" \
  "$(bash_complete weir --home "$home" gateway show '')"
expect "bash: WEIR_HOME, weir chat b<TAB>" "beta-bot" "$(WEIR_HOME=$home bash_complete weir chat b)"
expect "bash: weir gateway list --json, then a global option after the command" "--json" \
  "$(bash_complete weir gateway list --js)"
expect "bash: weir gateway create x --provider <TAB>" "ollama" \
  "$(WEIR_HOME=$home bash_complete weir gateway create x --provider '')"
expect "bash: weir gateway create x --temp<TAB>" "--temperature" "$(bash_complete weir gateway create x --temp)"
expect "bash: weir collection search notes,w<TAB> (comma list)" "notes,wiki" \
  "$(WEIR_HOME=$home bash_complete weir collection search notes,w)"
expect "bash: weir doc list --sort <TAB> (choices)" "created updated" "$(bash_complete weir doc list --sort '')"
expect "bash: weir completions <TAB>" "bash fish zsh" "$(bash_complete weir completions '')"
expect "bash: hidden commands are not offered (weir __<TAB>)" "" "$(bash_complete weir __)"
expect "bash: a missing home completes nothing, silently" "" \
  "$(WEIR_HOME=$scratch/missing bash_complete weir gateway show '' 2>&1)"
[ ! -e "$scratch/missing" ] || { echo "FAIL: completion created the missing home" >&2; failures=$((failures + 1)); }

# ---- fish: `complete -C` asks fish for the completions of a command line.
fish_complete() {  # COMMAND_LINE
  fish --no-config -c 'source $argv[1]; and complete -C $argv[2]' "$completions/weir.fish" "$1" 2>&1 | cut -f1
}
expect "fish loads the script" "" "$(fish --no-config -c 'source $argv[1]' "$completions/weir.fish" 2>&1)"
expect "fish: weir ga<TAB>" "gateway" "$(fish_complete 'weir ga')"
expect "fish: weir --home H gateway show <TAB>" "alpha beta-bot" "$(fish_complete "weir --home $home gateway show ")"
expect "fish: WEIR_HOME, weir chat b<TAB>" "beta-bot" "$(WEIR_HOME=$home fish_complete 'weir chat b')"
expect "fish: weir mcp serve --collections n<TAB>" "notes" "$(WEIR_HOME=$home fish_complete 'weir mcp serve --collections n')"
expect "fish: weir gateway create x --temp<TAB>" "--temperature" "$(fish_complete 'weir gateway create x --temp')"

# ---- zsh: compinit finds _weir on $fpath; a real TAB is typed in a zsh
# running in a pseudo-terminal (zpty), and the completed line is echoed. The
# ready mark is computed (READY42), so the terminal's echo of the command
# itself cannot be taken for it before compinit has finished.
zsh_fpath=$scratch/zsh-functions
mkdir "$zsh_fpath"
cp "$completions/_weir" "$zsh_fpath/_weir"
expect "zsh loads the script (compinit, then sourcing it)" "" \
  "$(zsh -f -c 'autoload -Uz compinit && compinit -u -d "$1/zcompdump" && source "$2/_weir"' zsh "$scratch" "$zsh_fpath" 2>&1)"
zsh_complete() {  # TYPED_LINE: prints the line after one TAB
  zsh -f -c '
    zmodload zsh/zpty || exit 1
    zpty -b session zsh -f -i
    zpty -w session "PS1=\"\"; PROMPT=\"\"; RPROMPT=\"\"; unsetopt zle_bell; fpath=($1 \$fpath)"
    zpty -w session "autoload -Uz compinit && compinit -u -d $2/zcompdump"
    zpty -w session "zstyle \":completion:*\" list-prompt \"\"; setopt no_list_beep"
    zpty -w session "print READY\$((40+2))"
    zpty -r session line "*READY42*" || exit 1
    zpty -n -w session "$3"$'\''\t'\''
    zpty -n -w session $'\''\C-a'\''"print -r -- DONE:"$'\''\n'\''
    zpty -r session line "*DONE:*"$'\''\n'\'' || exit 1
    print -r -- "${${line##*DONE:}%%[[:space:]]#}"
    zpty -d session' zsh "$zsh_fpath" "$scratch" "$1" 2>&1 | tr -d '\r'
}
expect_line "zsh: weir ga<TAB>" "weir gateway" "$(zsh_complete 'weir ga')"
expect_line "zsh: weir --home H gateway show al<TAB>" "weir --home $home gateway show alpha" \
  "$(zsh_complete "weir --home $home gateway show al")"
expect_line "zsh: WEIR_HOME, weir chat be<TAB>" "weir chat beta-bot" "$(WEIR_HOME=$home zsh_complete 'weir chat be')"

if ((failures)); then
  echo "$failures completion check(s) failed" >&2
  exit 1
fi
