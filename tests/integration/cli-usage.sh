#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The vgtool binary as a script meets it, with no daemon anywhere: --help on
# every verb exits 0 and shows that verb (and every verb is in the man page);
# usage mistakes exit 2 with a "vgtool: ..." message naming the mistake and
# nothing on stdout; no daemon at the socket (--socket, $VGTOOL_SOCKET, a
# path where nothing listens) exits 3 with the message that says what to do;
# the bash completion file parses and completes nouns and verbs.
. "$top_srcdir/tests/integration/lib.sh"
VGTOOL="$top_builddir/cli/vgtool"
MAN="$top_srcdir/docs/vgtool.8"
COMPLETION="$top_srcdir/cli/vgtool.bash-completion"
[ -x "$VGTOOL" ] || fail "$VGTOOL is not built (make cli/vgtool)"

# Nothing may reach a real daemon from here.
export VGTOOL_SOCKET="$WORK/no-daemon.sock"

# run CMD...: sets $rc, $out, $err.
run() {
	rc=0
	"$VGTOOL" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
	out=$(cat "$WORK/out")
	err=$(cat "$WORK/err")
}

# --- every verb: --help, and the man page ---------------------------------
nouns=$("$VGTOOL" __complete '')
[ -n "$nouns" ] || fail "vgtool __complete lists no nouns"
n_verbs=0
for noun in $nouns; do
	[ "$noun" = help ] && continue
	run "$noun" --help
	assert_eq 0 "$rc" "vgtool $noun --help exit status"
	grep -q "^Usage: vgtool $noun VERB" "$WORK/out" || fail "vgtool $noun --help: $out"
	for verb in $("$VGTOOL" __complete "$noun" ''); do
		run "$noun" "$verb" --help
		assert_eq 0 "$rc" "vgtool $noun $verb --help exit status"
		grep -q "^Usage: vgtool $noun $verb" "$WORK/out" || fail "vgtool $noun $verb --help: $out"
		[ -z "$err" ] || fail "vgtool $noun $verb --help wrote to stderr: $err"
		# the man page lists it as \fBNOUN VERB\fR (dashes escaped)
		grep -qF "\\fB$noun ${verb//-/\\-}\\fR" "$MAN" || fail "docs/vgtool.8 does not describe '$noun $verb'"
		n_verbs=$((n_verbs + 1))
	done
done
[ "$n_verbs" -ge 40 ] || fail "only $n_verbs verbs found"

# The interface scripts rely on is there, spelled exactly so.
for cmd in "mirror create" "vg create" "vg move-pv" "lv create" "lv extend" "lv reduce" "events subscribe"; do
	run $cmd --help
	assert_eq 0 "$rc" "vgtool $cmd --help"
done
run vg move-pv --help
grep -qF "Usage: vgtool vg move-pv PV --from VG --to VG" "$WORK/out" || fail "vg move-pv synopsis: $out"
run mirror create --help
grep -qF "Usage: vgtool mirror create NAME LEG LEG..." "$WORK/out" || fail "mirror create synopsis: $out"
run help lv extend
assert_eq 0 "$rc" "vgtool help lv extend"
grep -qF "vgtool lv extend vg_bulk/lv_rushes --size +100G" "$WORK/out" || fail "lv extend example: $out"
run --help
assert_eq 0 "$rc" "vgtool --help"
grep -q "Exit status" "$WORK/out" || fail "vgtool --help does not document exit codes"
run --version
assert_eq 0 "$rc" "vgtool --version"

# --- usage errors: exit 2, a message naming the problem, nothing sent -----
usage_error() {
	local expect=$1
	shift
	run "$@"
	[ "$rc" = 2 ] || fail "vgtool $*: expected exit 2, got $rc ($err)"
	[ -z "$out" ] || fail "vgtool $*: printed on stdout: $out"
	case $err in
	"vgtool: "*"$expect"*) ;;
	*) fail "vgtool $*: expected a message with '$expect', got: $err" ;;
	esac
}
usage_error "no command given"
usage_error 'unknown command "lvs"' lvs
usage_error "which verb?" vg
usage_error 'unknown verb "grow"' lv grow vg_bulk/lv_rushes
usage_error "give --size or --extents" lv create vg_raid lv_files
usage_error 'invalid size "50GB": units are binary' lv create vg_raid lv_files --size 50GB
usage_error 'would shrink' lv extend vg_bulk/lv_rushes --size -10G --json
usage_error "missing the LV's name" lv extend vg_bulk --size +10G
usage_error "give at least 2 LEGs" mirror create md0 /dev/sda5
usage_error "--to VG is required" vg move-pv md2 --from vg_raid
usage_error "missing PV" vg create vg_raid
usage_error "unknown option --force" vg create vg_raid md0 --force
usage_error "--size needs a value" lv create vg_raid lv_files --size
usage_error '"fix" is not one of check, repair' mirror scrub md0 fix
usage_error '--units: "x" is not a unit' --units x vg list
usage_error 'is not a whole number' job show three

# --- no daemon: exit 3 with what to do -------------------------------------
unreachable() {
	local path=$1
	shift
	run "$@"
	[ "$rc" = 3 ] || fail "vgtool $*: expected exit 3, got $rc ($err)"
	case $err in
	"vgtool: cannot reach vgtoold at $path: "*"is it running? (systemctl "*) ;;
	*) fail "vgtool $*: unhelpful message: $err" ;;
	esac
	[ -z "$out" ] || fail "vgtool $*: printed on stdout: $out"
}
unreachable "$WORK/no-daemon.sock" host status
unreachable "$WORK/no-daemon.sock" --json lv extend vg_bulk/lv_rushes --size +100G
unreachable "$WORK/other.sock" --socket "$WORK/other.sock" vg list
VGTOOL_SOCKET='' unreachable /run/vgtool/vgtoold.sock --socket /run/vgtool/vgtoold.sock vg list
# a file where the socket should be: nothing listens
: >"$WORK/plain-file"
unreachable "$WORK/plain-file" --socket "$WORK/plain-file" mirror list
grep -q "Connection refused" "$WORK/err" || fail "expected 'Connection refused': $err"

# --- bash completion ---------------------------------------------------------
bash -n "$COMPLETION" || fail "$COMPLETION has a syntax error"
completions=$(PATH="$(dirname "$VGTOOL"):$PATH" bash -c '
	source "$1"
	COMP_WORDS=(vgtool lv ""); COMP_CWORD=2; _vgtool; echo "${COMPREPLY[*]}"
	COMP_WORDS=(vgtool vg move-pv md2 --f); COMP_CWORD=4; _vgtool; echo "${COMPREPLY[*]}"
	COMP_WORDS=(vgtool lv list ""); COMP_CWORD=3; _vgtool; echo "names:${COMPREPLY[*]}"
' _ "$COMPLETION" 2>&1)
echo "$completions" | grep -q "^create list show resize extend reduce" || fail "lv verbs not completed: $completions"
echo "$completions" | grep -q "^--from$" || fail "--from not completed: $completions"
# no daemon: no names, and no noise
echo "$completions" | grep -qx "names:" || fail "names without a daemon: $completions"

echo "ok: $n_verbs verbs"
