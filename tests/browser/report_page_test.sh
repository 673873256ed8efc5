#!/bin/sh
# The html report in a real browser: `convene report --format html` on the
# demo's state, opened in Debian's chromium by web/check_page.mjs, which saves
# a screenshot (an artefact of the suite) and runs axe-core (WCAG 2.1 A/AA).
#   report_page_test.sh CONVENE DATA_DIR CONFIG_DIR WEB_DIR ARTEFACTS_DIR
set -eu
convene=$1 data=$2 config=$3 web=$4 artefacts=$5
mkdir -p "$artefacts"
"$convene" report --data "$data" --config "$config" --format html --out "$artefacts/report.html"
node "$web/check_page.mjs" "file://$artefacts/report.html" "$artefacts/report.png" \
  'svg[role="img"][aria-label="Cases opened by strategy priority"]' \
  'svg[role="img"][aria-label="Tasks issued by partner"]' 'table caption'
