#!/usr/bin/env bash
# tests/e2e_install.sh: `cmake --install` into a scratch prefix puts the binary, the man page and
# the bash and zsh completions where those tools look; the man page renders without warnings and
# names every command; both completions offer every command and every option that
# `folio COMMAND --help` lists, and the bash one answers like bash's completion would ask it.
set -u
CMAKE=${1:?usage: e2e_install.sh CMAKE}
F=${FOLIO_BIN:?}
B=${FOLIO_BUILD:?}
T=$(mktemp -d "${FOLIO_TEST_TMP:-/tmp}/e2e_install.XXXXXX")
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

P=$T/prefix
"$CMAKE" --install "$B" --prefix "$P" >"$T/install.log" 2>&1
check "cmake --install succeeds" '[ $? -eq 0 ]'
check "binary in bin/" '[ -x "$P/bin/folio" ]'
check "installed binary runs" '"$P/bin/folio" --version | grep -q "^folio "'
MAN=$P/share/man/man1/folio.1
BASHC=$P/share/bash-completion/completions/folio
ZSHC=$P/share/zsh/site-functions/_folio
check "man page in share/man/man1" '[ -f "$MAN" ]'
check "bash completion in share/bash-completion/completions" '[ -f "$BASHC" ]'
check "zsh completion in share/zsh/site-functions" '[ -f "$ZSHC" ]'

if command -v groff >/dev/null; then
  groff -man -Tutf8 -ww -z "$MAN" 2>"$T/groff.err"
  check "man page renders without warnings" '[ ! -s "$T/groff.err" ]'
fi
check "bash completion parses" 'bash -n "$BASHC"'

# every available command of folio --help, in the man page and both completions
cmds=$("$F" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1}' | sort -u)
check "folio --help lists libraries and cache" 'echo "$cmds" | grep -qx libraries && echo "$cmds" | grep -qx cache'
for c in $cmds; do
  check "man page names $c" 'grep -q "^\.B\(R\)\? \(folio \)\?$c\b\|^\.BR .*\b$c\b" "$MAN"'
  check "zsh completion offers $c" "grep -q \"'$c:\" \"\$ZSHC\""
done

# bash: ask the completion function as bash would, for commands and for each option of --help
source "$BASHC"
complete_words() { # completes the last word of "$@"
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _folio
  printf '%s\n' "${COMPREPLY[@]}"
}
for c in $cmds; do
  check "bash completes '${c:0:3}' to $c" 'complete_words folio "${c:0:3}" | grep -qx "$c"'
done
for c in index search libraries cache generate tokenize convert code; do
  opts=$("$F" $c --help 2>&1 | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
  for o in $opts; do
    check "bash completes $c $o" 'complete_words folio $c "$o" | grep -qx -- "$o"'
    check "zsh completion knows $c $o" 'grep -q -- "$o" "$ZSHC"'
  done
done
check "bash completes --type values" 'complete_words folio search --type "ma" | grep -qx markdown'

echo "$fails failed"
[ $fails -eq 0 ]
