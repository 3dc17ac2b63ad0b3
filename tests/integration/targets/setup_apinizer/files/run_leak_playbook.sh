#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The body of every *_leaks target's runme.sh, run from that target's directory:
#
#   bash ../setup_apinizer/files/run_leak_playbook.sh LOG_NAME
#
# Makes a test PKI of its own, runs the target's leak_playbook.yml with -vvv and --diff (the other targets are roles
# on ANSIBLE_ROLES_PATH) into OUTPUT_DIR/LOG_NAME.log, then the target's check_leaks.py over that log; fails when the
# scan fails or the playbook failed (then with the log's end).
set -eu -o pipefail

log="${OUTPUT_DIR:?}/${1:?usage: run_leak_playbook.sh LOG_NAME}.log"
config="$(cd ../.. && pwd)/integration_config.yml"
pki=$(mktemp -d)
trap 'rm -rf "$pki"' EXIT

emulator_dir=$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["apinizer_emulator_dir"])' "$config")
python ../setup_apinizer/files/make_test_pki.py --emulator-dir "$emulator_dir" "$pki"

status=0
ANSIBLE_ROLES_PATH=.. ansible-playbook -i "${INVENTORY_PATH:?}" -vvv --diff \
    -e "@$config" -e "apinizer_pki=$pki" leak_playbook.yml > "$log" 2>&1 || status=$?

python check_leaks.py --config "$config" --pki "$pki" "$log"

if [ "$status" -ne 0 ]; then
    tail -n 60 "$log"
    exit "$status"
fi
