#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the key and keystore scenarios (the apinizer_key, apinizer_key_info, apinizer_keystore and
# apinizer_keystore_info targets, and apinizer_bundle's PKCS#12 and keystore tasks) with -vvv and --diff, then fails
# when the token, a passphrase, the keystore password, any form of a keystore or PKCS#12 file (those a bundle's
# keystore built too) or of the test PKI's key
# material shows in the output, or when the output lacks what every run of the scenarios prints on any ansible-core
# (check_leaks.py, with apinizer_emulator.leaks: task names, result values, diffs, the recap). The scanner's own
# tests (a planted secret in each form, a half log, a log without results) are in
# tests/unit/emulator/test_emulator_leaks.py.
# How: ../setup_apinizer/files/run_leak_playbook.sh, the body every *_leaks target shares.
set -eu -o pipefail

exec bash ../setup_apinizer/files/run_leak_playbook.sh key-leaks
