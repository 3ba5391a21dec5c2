# The CLI reference in docs/ is generated from the command table: it must match the binary.
. "$(dirname "$0")/lib.sh"
$FLOE --help-markdown > $T/cli.md
diff -u "$SRC/docs/reference/cli.md" $T/cli.md || fail "docs/reference/cli.md is stale: run build/floe --help-markdown > docs/reference/cli.md"
expect_rc 0 $FLOE --help
expect_out "asset materialize"
expect_rc 2 $FLOE bogus-command
expect_out "unknown command 'bogus-command'"
expect_rc 0 $FLOE run list --help
expect_out "usage: floe run list"
echo ok
