# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Makes the emulator's fixtures and its option --apinizer-emulator-variant (tests/emulator/apinizer_emulator/pytest_plugin.py)
available under tests/unit."""

from __future__ import annotations

import os
import sys

_EMULATOR_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'emulator')
if _EMULATOR_DIR not in sys.path:
    sys.path.insert(0, _EMULATOR_DIR)

# Importing the fixtures into this conftest registers them; flask is only needed once a fixture runs.
from apinizer_emulator.pytest_plugin import (  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import
    apinizer_emulator,
    apinizer_emulator_projects,
    apinizer_emulator_server,
    apinizer_emulator_variant,
    pytest_addoption,
)
