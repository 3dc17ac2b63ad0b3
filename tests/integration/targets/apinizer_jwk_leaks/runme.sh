#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the JWK scenarios (the apinizer_jwk_info and apinizer_jwk targets, then a pasted private JWK) with -vvv and
# --diff, then fails when the token, the test PKI's key material and keystore password, the private members of the
# pasted JWK or those of any JWK the server holds afterwards show in the output, or when the output lacks what every
# run prints
# (check_leaks.py, with apinizer_emulator.leaks, the collection's one leak scanner).
set -eu -o pipefail

config="$(cd ../.. && pwd)/integration_config.yml"
log="${OUTPUT_DIR:?}/jwk-leaks.log"
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
