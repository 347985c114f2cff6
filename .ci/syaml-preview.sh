#!/usr/bin/env bash
# Render s.yaml with Serverless Devs' own parser: `s preview` resolves every
# ${vars.*}/${env(...)} reference and template/extend, fails on a YAML syntax
# error or an unknown var, needs no network beyond npm and no credentials.
# (s verify/plan/deploy download the fc3 component and cannot run offline;
# deploy/syaml_test.go checks what they would, and more.)
#
# Then the same files are rendered by `go run ./cmd/syaml render`, through
# internal/syaml, the reader the local runner and deploy/ share, and the two
# JSON documents must be equal (structurally: key order aside). Two files:
# s.yaml, and internal/syaml/testdata/conventions/s.yaml, which exercises
# the rendering conventions (null values left out, extend kept, numbers,
# ${...} embedded in strings, ...). A difference fails with the first
# differing key path.
#
# Usage: bash .ci/syaml-preview.sh [--update-golden]
#   (S_VERSION=x.y.z to try another s)
#   --update-golden also writes what s preview prints with no variable set
#   (every ${env(...)} default) to internal/syaml/testdata, the goldens of
#   internal/syaml's Go tests.
set -euo pipefail

S_VERSION="${S_VERSION:-3.1.10}" # the version known to install and preview offline
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start=$SECONDS
update_golden=false
case "${1:-}" in
"") ;;
--update-golden) update_golden=true ;;
*) echo "usage: bash .ci/syaml-preview.sh [--update-golden]" >&2; exit 2 ;;
esac

for tool in node npm go; do
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

conventions=internal/syaml/testdata/conventions/s.yaml

# s_preview FILE OUT [clean]: s preview of FILE (relative to the root) into
# OUT; with "clean", in an environment holding only PATH and HOME.
s_preview() {
	local file=$1 out=$2 rc=0
	local -a args=(preview --silent -o json)
	[ "$file" = s.yaml ] || args+=(-t "$file")
	local -a envs=(env HOME="$work/home")
	[ "${3:-}" = clean ] && envs=(env -i PATH="$PATH" HOME="$work/home")
	(cd "$root" && "${envs[@]}" timeout 120 "$s_bin" "${args[@]}") >"$out" 2>"$work/preview.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "syaml-preview: s preview of $file exited $rc" >&2
		cat "$work/preview.err" "$out" >&2
		exit 1
	fi
}

s_preview s.yaml "$work/preview.json"
s_preview "$conventions" "$work/conventions.preview.json"

# The output must be JSON with the three fc3 resources and no reference left
# unresolved (s preview leaves ${config(...)} and ${resources.*.output} as
# text; neither belongs in this s.yaml).
summary="$(PREVIEW_JSON="$work/preview.json" S_VERSION="$S_VERSION" ELAPSED=$((SECONDS - start)) node -e '
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
')"

# compare.js LABEL A B: A is s preview's JSON, B cmd/syaml's. Prints the
# number of values compared, or fails naming the first differing path.
cat >"$work/compare.js" <<'EOF'
const fs = require("fs");
const [label, aPath, bPath] = process.argv.slice(2);
const fail = (msg) => { console.error("syaml-preview: " + label + ": " + msg); process.exit(1); };
const read = (p, who) => {
  const text = fs.readFileSync(p, "utf8");
  try { return JSON.parse(text); } catch (e) { fail(who + " did not print JSON: " + e.message + "\n" + text.slice(0, 2000)); }
};
const a = read(aPath, "s preview"), b = read(bPath, "cmd/syaml render");
const kind = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
const show = (v) => { const s = JSON.stringify(v); return s.length > 100 ? s.slice(0, 97) + "..." : s; };
const diffs = [];
let count = 0;
const walk = (x, y, path) => {
  count++;
  const at = path || "(the top level)";
  if (kind(x) !== kind(y)) {
    diffs.push(at + ": s preview has " + show(x) + ", cmd/syaml has " + show(y));
  } else if (kind(x) === "array") {
    if (x.length !== y.length) diffs.push(at + ": s preview has " + x.length + " items, cmd/syaml " + y.length);
    else x.forEach((v, i) => walk(v, y[i], path + "[" + i + "]"));
  } else if (kind(x) === "object") {
    for (const k of [...Object.keys(x), ...Object.keys(y).filter((k) => !(k in x))]) {
      const p = path ? path + "." + k : k;
      if (!(k in y)) diffs.push(p + ": s preview has " + show(x[k]) + ", cmd/syaml has no such key");
      else if (!(k in x)) diffs.push(p + ": cmd/syaml has " + show(y[k]) + ", s preview has no such key");
      else walk(x[k], y[k], p);
    }
  } else if (x !== y) {
    diffs.push(at + ": s preview has " + show(x) + ", cmd/syaml has " + show(y));
  }
};
walk(a, b, "");
if (diffs.length > 0) {
  let msg = "cmd/syaml render differs from s preview at " + diffs[0];
  if (diffs.length > 1) msg += "\n  and " + (diffs.length - 1) + " more, e.g. " + diffs.slice(1, 4).join("\n  ");
  fail(msg);
}
console.log(count);
EOF

# render FILE OUT: cmd/syaml's rendering of FILE (relative to the root).
render() {
	if ! (cd "$root" && go run ./cmd/syaml render --file "$1") >"$2" 2>"$work/render.err"; then
		echo "syaml-preview: go run ./cmd/syaml render --file $1 failed:" >&2
		cat "$work/render.err" >&2
		exit 1
	fi
}

compared=()
for pair in "s.yaml:preview.json" "$conventions:conventions.preview.json"; do
	file=${pair%%:*}
	render "$file" "$work/rendered.json"
	if ! n="$(node "$work/compare.js" "$file" "$work/${pair#*:}" "$work/rendered.json")"; then
		if [ -f "$root/$(dirname "$file")/.env" ]; then
			echo "syaml-preview: note: s preview also read $(dirname "$file")/.env, which cmd/syaml does not" >&2
		fi
		exit 1
	fi
	compared+=("$file ($n values)")
done

if $update_golden; then
	s_preview s.yaml "$root/internal/syaml/testdata/s.preview.json" clean
	s_preview "$conventions" "$root/internal/syaml/testdata/conventions/s.preview.json" clean
	echo "syaml-preview: wrote internal/syaml/testdata/s.preview.json and conventions/s.preview.json"
fi

echo "$summary"
echo "cmd/syaml render matches s preview ($((SECONDS - start))s): ${compared[0]}, ${compared[1]}"
