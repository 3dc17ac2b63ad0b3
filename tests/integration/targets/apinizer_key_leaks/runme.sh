#!/usr/bin/env bash
# Runs the key and keystore scenarios (the apinizer_key, apinizer_key_info, apinizer_keystore and
# apinizer_keystore_info targets, and apinizer_bundle's PKCS#12 and keystore tasks) with -vvv and --diff, then fails
# when the token, a passphrase, the keystore password, any form of a keystore or PKCS#12 file (those a bundle's
# keystore built too) or of the test PKI's key
# material shows in the output, or when the output lacks what every run of the scenarios prints on any ansible-core
# (check_leaks.py, with apinizer_emulator.leaks: task names, result values, diffs, the recap). The scanner's own
# tests (a planted secret in each form, a half log, a log without results) are in
# tests/unit/emulator/test_emulator_leaks.py.
set -eu -o pipefail

config="$(cd ../.. && pwd)/integration_config.yml"
log="${OUTPUT_DIR:?}/key-leaks.log"
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
