#!/usr/bin/env bash
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the JWK scenarios (the apinizer_jwk_info and apinizer_jwk targets, then a pasted private JWK) with -vvv and
# --diff, then fails when the token, the test PKI's key material and keystore password, the private members of the
# pasted JWK or those of any JWK the server holds afterwards show in the output, or when the output lacks what every
# run prints
# (check_leaks.py, with apinizer_emulator.leaks, the collection's one leak scanner).
# How: ../setup_apinizer/files/run_leak_playbook.sh, the body every *_leaks target shares.
set -eu -o pipefail

exec bash ../setup_apinizer/files/run_leak_playbook.sh jwk-leaks
