#!/usr/bin/env bash
# Render s.yaml with Serverless Devs' own parser: `s preview` resolves every
# ${vars.*}/${env(...)} reference and template/extend, fails on a YAML syntax
# error or an unknown var, needs no network beyond npm and no credentials.
# (s verify/plan/deploy download the fc3 component and cannot run offline;
# deploy/syaml_test.go checks what they would, and more.)
#
# Usage: bash .ci/syaml-preview.sh   (S_VERSION=x.y.z to try another s)
set -euo pipefail

S_VERSION="${S_VERSION:-3.1.10}" # the version known to install and preview offline
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start=$SECONDS

for tool in node npm; do
	command -v "$tool" >/dev/null || { echo "syaml-preview: $tool is not installed" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/syaml-preview.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if ! npm install --prefix "$work/s" --no-audit --no-fund --no-update-notifier --loglevel=error \
	"@serverless-devs/s@${S_VERSION}" >"$work/npm.log" 2>&1; then
	echo "syaml-preview: npm install @serverless-devs/s@${S_VERSION} failed:" >&2
	cat "$work/npm.log" >&2
	exit 1
fi
s_bin="$work/s/node_modules/.bin/s"

# A scratch HOME: no ~/.s/access.yaml (so no credentials are read or needed)
# and nothing is written into the developer's ~/.s.
mkdir -p "$work/home"
rc=0
(cd "$root" && HOME="$work/home" timeout 120 "$s_bin" preview --silent -o json) \
	>"$work/preview.json" 2>"$work/preview.err" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "syaml-preview: s preview exited $rc" >&2
	cat "$work/preview.err" "$work/preview.json" >&2
	exit 1
fi

# The output must be JSON with the three fc3 resources and no reference left
# unresolved (s preview leaves ${config(...)} and ${resources.*.output} as
# text; neither belongs in this s.yaml).
PREVIEW_JSON="$work/preview.json" S_VERSION="$S_VERSION" ELAPSED=$((SECONDS - start)) node -e '
const fs = require("fs");
const text = fs.readFileSync(process.env.PREVIEW_JSON, "utf8");
let doc;
try { doc = JSON.parse(text); } catch (e) {
  console.error("syaml-preview: s preview did not print JSON: " + e.message + "\n" + text.slice(0, 2000));
  process.exit(1);
}
const fail = (msg) => { console.error("syaml-preview: " + msg); process.exit(1); };
if (text.includes("${")) fail("unresolved ${...} left in the rendered s.yaml: " + text.match(/.{0,60}\$\{[^}]*\}/)[0]);
const resources = doc.resources || {};
const names = Object.keys(resources);
for (const want of ["stop", "release", "autorelease"]) {
  if (!names.includes(want)) fail("resource " + want + " is missing (have: " + names.join(", ") + ")");
}
const parts = names.map((n) => {
  const r = resources[n];
  if (r.component !== "fc3") fail(n + ": component " + r.component + ", want fc3");
  const p = r.props || {};
  const triggers = (p.triggers || []).map((t) => t.triggerType).join("+");
  return n + "=" + p.functionName + "[" + p.runtime + "," + p.timeout + "s," + triggers + "]";
});
const env = (resources.stop.props || {}).environmentVariables || {};
console.log("s preview OK (@serverless-devs/s " + process.env.S_VERSION + ", " + process.env.ELAPSED + "s): " +
  parts.join(" ") + "; region=" + resources.stop.props.region + " DRY_RUN=" + env.DRY_RUN);
'
