#!/usr/bin/env bash
# The one test command (README quick start, .ci/run): real parts installed if missing, then build,
# typecheck, lint and every test of every workspace. Runs on the Node the root devDependency pins.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "node $(node --version) / npm $(npm --version)"
bash scripts/setup-test.sh
step() { echo; echo "=== $*"; }
step build;      npm run build
step typecheck;  npm run typecheck
step lint;       npm run lint
step "unit and integration tests"
npm run test --workspaces --if-present
step "browser tests (the built plugins on Grafana 12.4's and 13.2's shared modules)"
npm run test:browser --workspaces --if-present
step "Grafana 13.2 compatibility (levitate)"
npm run compat -w grafana-plugins
echo; echo "all tests passed"
