#!/usr/bin/env bash
# Runs the key scenarios (the apinizer_key and apinizer_key_info targets) with -vvv and --diff,
# then fails when the token, a passphrase, a line of a PEM key or a secret key shows in the output.
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

# The check must be able to fail: the same output with the passphrase planted in it is refused.
cp "$log" "$pki/planted.log"
cat "$pki/rsa-key.passphrase" >> "$pki/planted.log"
if python check_leaks.py --config "$config" --pki "$pki" "$pki/planted.log" > /dev/null; then
    echo "check_leaks.py missed a planted passphrase" >&2
    exit 1
fi
if [ "$status" -ne 0 ]; then
    tail -n 60 "$log"
    exit "$status"
fi
