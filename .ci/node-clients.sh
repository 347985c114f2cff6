#!/usr/bin/env bash
# The official Node ECS clients against the emulator: builds
# cmd/ecs-emulator, starts it on a free loopback port with
# clients/node/testdata/fleet.json, installs clients/node's pinned packages
# (npm ci, from package-lock.json) and runs clients/node/check.mjs, which
# drives the same scenario through @alicloud/ecs20140526 (Tea SDK, signature
# ACS3-HMAC-SHA256) and @alicloud/pop-core (signature HMAC-SHA1): paging,
# filters, StopInstance and DescribeInstanceAttribute without RegionId, a
# wrong secret, an unknown key. Each check prints `ok CLIENT CHECK` or
# `FAIL CLIENT CHECK: why`; any failure fails the script.
#
# Runs from a clean clone; needs go, node (>= 18) and npm (the npm registry,
# or a warm cache: NODE_CLIENTS_NPM_CACHE=DIR reuses DIR instead of a fresh
# temporary cache). Leaves nothing behind but clients/node/node_modules
# (ignored by git).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start=$SECONDS

for tool in go node npm; do
	command -v "$tool" >/dev/null || { echo "node-clients: $tool is not installed" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/node-clients.XXXXXX")"
emu_pid=""
cleanup() {
	if [ -n "$emu_pid" ]; then
		kill "$emu_pid" 2>/dev/null || true
		wait "$emu_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "node-clients: building cmd/ecs-emulator"
(cd "$root" && go build -o "$work/ecs-emulator" ./cmd/ecs-emulator)

# Port 0: the emulator picks a free port and prints it. A stop lasts 10
# minutes, so an instance a check stopped stays Stopping for the whole run.
key_id=LTAIemulatorAccessKey
key_secret=emulator-secret
: >"$work/emulator.out"
: >"$work/emulator.log"
"$work/ecs-emulator" --listen 127.0.0.1:0 --fleet "$root/clients/node/testdata/fleet.json" \
	--access-key-id "$key_id" --access-key-secret "$key_secret" --region cn-hangzhou \
	--stop-delay 10m --log-calls >"$work/emulator.out" 2>"$work/emulator.log" &
emu_pid=$!

emulator_failed() {
	echo "node-clients: $1" >&2
	cat "$work/emulator.out" "$work/emulator.log" >&2
	exit 1
}

endpoint=""
for _ in $(seq 100); do
	kill -0 "$emu_pid" 2>/dev/null || emulator_failed "the emulator exited"
	endpoint="$(sed -n 's#^ecs-emulator: listening on \(http://127\.0\.0\.1:[0-9][0-9]*\) .*#\1#p' "$work/emulator.out" || true)"
	[ -n "$endpoint" ] && break
	sleep 0.1
done
[ -n "$endpoint" ] || emulator_failed "the emulator printed no address within 10s"

# Ready when GET /_emulator/now answers 200.
ready() {
	ENDPOINT="$endpoint" node -e '
fetch(process.env.ENDPOINT + "/_emulator/now", { signal: AbortSignal.timeout(1000) })
  .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));'
}
for _ in $(seq 50); do
	ready && break
	sleep 0.2
done
ready || emulator_failed "$endpoint/_emulator/now does not answer"
echo "node-clients: emulator at $endpoint ($((SECONDS - start))s)"

cache="${NODE_CLIENTS_NPM_CACHE:-$work/npm-cache}"
# --ignore-scripts: the only install script (@alicloud/openapi-core's
# postinstall) does nothing on Node >= 14.
if ! (cd "$root/clients/node" && npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier \
	--loglevel=error --cache "$cache") >"$work/npm.log" 2>&1; then
	echo "node-clients: npm ci in clients/node failed:" >&2
	cat "$work/npm.log" >&2
	exit 1
fi
echo "node-clients: npm ci done ($((SECONDS - start))s)"

checked=$SECONDS
rc=0
(cd "$root/clients/node" && ECS_ENDPOINT="$endpoint" EMULATOR_ACCESS_KEY_ID="$key_id" \
	EMULATOR_ACCESS_KEY_SECRET="$key_secret" EMULATOR_REGION_ID=cn-hangzhou \
	timeout 120 node check.mjs) || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "node-clients: check.mjs failed (exit $rc); the emulator's call log:" >&2
	tail -n 60 "$work/emulator.log" >&2
	exit 1
fi
echo "node-clients: all checks passed (checks $((SECONDS - checked))s, total $((SECONDS - start))s)"
