#!/bin/sh
# The console in a real browser: `convene demo --http` on a free port, then
# web/console_flow.mjs signs in as the demo's coordinator, acknowledges a task
# and opens its case, the manager reads the report and the chair records a
# meeting's attendance and an outcome, checking every page with axe-core;
# screenshots are kept.
#   console_test.sh CONVENE CONFIG_DIR WEB_DIR ARTEFACTS_DIR
set -eu
convene=$1 config=$2 web=$3 artefacts=$4
work=$(mktemp -d)
demo=""
trap 'if [ -n "$demo" ]; then kill -INT "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
mkdir -p "$artefacts"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$convene" demo --config "$config" --data "$work/data" --http "127.0.0.1:$port" > "$work/demo.out" 2>&1 &
demo=$!
for _ in $(seq 1 600); do
  grep -q "Ctrl-C to stop" "$work/demo.out" && break
  kill -0 "$demo" 2>/dev/null || { cat "$work/demo.out"; exit 1; }
  sleep 0.2
done
line=$(grep "sign in as coordinator@housing.demo" "$work/demo.out")
email=$(echo "$line" | awk '{print $4}')
password=$(echo "$line" | awk '{print $NF}')
line=$(grep "sign in as manager@" "$work/demo.out")
manager=$(echo "$line" | awk '{print $4}')
manager_password=$(echo "$line" | awk '{print $NF}')
line=$(grep "sign in as chair@" "$work/demo.out")
chair=$(echo "$line" | awk '{print $4}')
chair_password=$(echo "$line" | awk '{print $NF}')
node "$web/console_flow.mjs" "http://127.0.0.1:$port" "$email" "$password" "$artefacts" \
  "$manager" "$manager_password" "$chair" "$chair_password"
kill -INT "$demo"
wait "$demo"
demo=""
