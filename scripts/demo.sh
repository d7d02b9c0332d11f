#!/usr/bin/env bash
# The README's first command ends here: start the lab (building the upstream binaries and the
# hosts' root file system the first time), run a real drill against it from the laptop side, print
# where the report is, and always take the lab down again.
set -u
cd "$(dirname "$0")/.."
cli=(node bin/kha-drill.js)
drill=${1:-scheduler-failover}
"${cli[@]}" lab up || exit $?
"${cli[@]}" lab exec -- "${cli[@]}" run "$drill" -i .kha-lab/inventory.yaml
rc=$?
"${cli[@]}" lab down
echo "kha-drill run $drill exited $rc (0 = every SLO held); the report is the directory named above, under reports/"
exit "$rc"
