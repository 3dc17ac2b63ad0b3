#!/usr/bin/env bash
# Runs the key scenarios (the apinizer_key and apinizer_key_info targets) with -vvv and --diff,
# then fails when the token, a passphrase, a line of a PEM key or a secret key shows in the output, or when the output
# lacks what every run of the scenarios prints on any ansible-core (check_leaks.py: task names, result values, diffs).
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
# ... and so must the markers: the output without apinizer_key_info's results, or cut in half, is not the run it
# claims to be.
grep -v crypto_keys "$log" > "$pki/no-results.log" || true
head -c "$(( $(wc -c < "$log") / 2 ))" "$log" > "$pki/half.log"
for partial in no-results half; do
    if python check_leaks.py --config "$config" --pki "$pki" "$pki/$partial.log" > "$pki/$partial.out"; then
        echo "check_leaks.py accepted an output that is not the whole run ($partial)" >&2
        exit 1
    fi
    grep -q 'not the verbose diff-mode run' "$pki/$partial.out" || { cat "$pki/$partial.out" >&2; exit 1; }
done
if [ "$status" -ne 0 ]; then
    tail -n 60 "$log"
    exit "$status"
fi
