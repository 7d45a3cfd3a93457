#!/usr/bin/env bash
# `make lint`: static checks of both modules (the root one and build/image), kept short:
# - staticcheck (default checks): bugs, deprecated APIs, simplifications, unused code.
# - errcheck: an unchecked error loses a failure. Exempt: deferred closes (the write or sync
#   before them reports the failure) and fmt.Fprint* (they write to in-memory buffers,
#   strings.Builder and tabwriter, whose Flush or final Write is checked, or to stderr, where
#   a failed write has nowhere else to be reported).
# - ineffassign: stores never read.
# - go vet runs in `make test`.
# The tools are pinned and installed into a temporary directory through the Go build cache: together they build
# in about a minute on 2 cores from a cold cache (golangci-lint took six).
set -euo pipefail
GO=${GO:-go}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN=$bin $GO install honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOBIN=$bin $GO install github.com/kisielk/errcheck@v1.30.0
GOBIN=$bin $GO install github.com/gordonklaus/ineffassign@v0.2.0
printf '%s\n' fmt.Fprint fmt.Fprintf fmt.Fprintln >"$bin/errcheck-excludes"

status=0
for dir in . build/image; do
  cd "$root/$dir"
  echo "lint $dir"
  "$bin/staticcheck" ./... || status=1
  "$bin/ineffassign" ./... || status=1
  # errcheck has no switch for deferred calls: drop the findings whose source starts with defer.
  unchecked=$("$bin/errcheck" -exclude "$bin/errcheck-excludes" ./... 2>&1 || true)
  unchecked=$(printf '%s\n' "$unchecked" | grep -vE $'^[^\t]+:[0-9]+:[0-9]+:\tdefer ' | grep -v '^$' || true)
  if [ -n "$unchecked" ]; then
    printf 'unchecked errors:\n%s\n' "$unchecked"
    status=1
  fi
done
exit $status
