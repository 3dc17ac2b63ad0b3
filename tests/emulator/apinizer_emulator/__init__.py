# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An emulator of Apinizer's API Ops management API (certificates, keys, environments).

The heavy names are imported lazily so that importing the package (for example from a
conftest) does not need Flask until a server is actually built.
"""

from __future__ import annotations

import importlib

__version__ = '1.0.0'

_LAZY_NAMES = {
    'EmulatorConfig': 'apinizer_emulator.config',
    'EmulatorServer': 'apinizer_emulator.server',
    'EmulatorControl': 'apinizer_emulator.client',
    'create_app': 'apinizer_emulator.app',
}


def __getattr__(name):
    module_name = _LAZY_NAMES.get(name)
    if module_name is None:
        raise AttributeError('module %r has no attribute %r' % (__name__, name))
    return getattr(importlib.import_module(module_name), name)
