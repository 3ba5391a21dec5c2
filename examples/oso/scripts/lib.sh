# Shared by the example's step scripts: where data lives and how to report to floe.
set -eu
DATA=${FLOE_PROJECT_DIR:-.}/data/generated
mkdir -p "$DATA"
# emit_rows N : reports the row count as materialization metadata (step protocol: NDJSON to $FLOE_EVENTS)
emit_rows() {
  [ -n "${FLOE_EVENTS:-}" ] && printf '{"type":"materialization","metadata":{"rows":%s,"path":"%s"}}\n' "$1" "$2" >> "$FLOE_EVENTS"
  return 0
}
log() { [ -n "${FLOE_EVENTS:-}" ] && printf '{"type":"log","level":"info","message":"%s"}\n' "$1" >> "$FLOE_EVENTS"; echo "$1"; }
