#!/usr/bin/env bash
# docs.sh: the man pages and the bash completion, checked without installing anything.
#   docs.sh --man DIR                   mandoc -Tlint of DIR's pages, all together (so that
#                                       their cross-references resolve among them): any
#                                       message fails
#   docs.sh --completion FILE FENGHUO   the completion FILE offers every command that
#                                       `FENGHUO --help` lists, each command's options as its
#                                       --help lists them, and cap's import and export
# Both may be given. check.sh runs them on the package; ctest (package_docs) on the source
# tree and the build. Exit 77 (skipped) when mandoc or bash-completion is missing.
set -euo pipefail
PAGES="fenghuo.1 fenghuo-linksim.1 fenghuod.8 fenghuod.conf.5"
fail() {
	echo "FAIL: $*"
	exit 1
}
man= comp= fh=
while [ $# -gt 0 ]; do
	case $1 in
	--man) man=$2; shift 2 ;;
	--completion) comp=$2; fh=$3; shift 3 ;;
	*) echo "usage: $0 [--man DIR] [--completion FILE FENGHUO]" >&2; exit 64 ;;
	esac
done
skipped=0

if [ -n "$man" ]; then
	if command -v mandoc >/dev/null; then
		echo "== mandoc -Tlint $PAGES"
		# shellcheck disable=SC2086
		out=$(cd "$man" && mandoc -Tlint $PAGES 2>&1) && [ -z "$out" ] ||
			fail "mandoc -Tlint: $out"
	else
		echo "(mandoc is not installed: lint skipped)"
		skipped=1
	fi
fi

# complete WORD...: what the completion offers for the command line WORD... (the last word
# is the one being completed).
complete_words() {
	bash -c '. /usr/share/bash-completion/bash_completion
		. "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
		_fenghuo; printf "%s\n" "${COMPREPLY[@]}"' "$comp" "$fh" "$@"
}

if [ -n "$comp" ]; then
	if [ -f /usr/share/bash-completion/bash_completion ]; then
		echo "== bash completion"
		# A command's line starts with two blanks and its name; continuation lines with more.
		cmds=$("$fh" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p')
		[ -n "$cmds" ] || fail "no commands in $fh --help"
		words=$(complete_words "")
		for c in $cmds; do
			grep -qx "$c" <<<"$words" || fail "completion does not offer the command $c"
			# The options the help lists: each line that starts with one, up to its text.
			opts=$("$fh" "$c" --help | sed -n 's/^ *\(-.*\)/\1/p' |
				sed 's/   .*//' | grep -Eo -- '--[a-z][a-z-]*' | sort -u)
			got=$(complete_words "$c" --)
			for o in $opts; do
				[ "$o" = --key ] && continue	# the global option, named in some helps
				grep -qx -- "$o" <<<"$got" || fail "completion of '$c' lacks $o"
			done
		done
		[ "$(complete_words cap "" | sort | tr '\n' ' ')" = "export import " ] ||
			fail "completion of 'cap': $(complete_words cap "")"
		# grep reads all of its input: grep -q would stop early, the completion would die of
		# SIGPIPE, and pipefail would fail the check now and then.
		complete_words list --format "" | grep -x geojson >/dev/null || fail "completion of --format"
		complete_words warn --status "" | grep -x exercise >/dev/null || fail "completion of --status"
	else
		echo "(bash-completion is not installed: completion skipped)"
		skipped=1
	fi
fi
[ "$skipped" -eq 0 ] || exit 77
echo ok
