# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running a module's main() in-process: arguments set the way ansible-core's own unit tests set them, the result
caught where exit_json/fail_json would print it, and the HTTP client scripted."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerClient
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import ScriptedServer

TOKEN = 'tok-9d3e1b7c5a2f4e6d8c0b1a3f5e7d9c2b-module-secret'
CONNECTION = dict(url='https://apinizer.test', token=TOKEN, project='demo')


class ModuleExit(Exception):
    """exit_json or fail_json was called; result is what the task would return."""

    def __init__(self, result, failed, module):
        super(ModuleExit, self).__init__(result)
        self.result = result
        self.failed = failed
        self.module = module


@contextlib.contextmanager
def module_args(args):
    """ansible.module_utils.testing.patch_module_args where the core has it (2.19 and later); before that, what
    ansible-core's own units/modules/utils.py set_module_args does."""
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:
        patch_module_args = None
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    serialized = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(basic, '_ANSIBLE_ARGS', serialized)
        yield


@pytest.fixture
def run_module(monkeypatch):
    """run_module(module, args, script, check_mode=False, diff=False) -> (ModuleExit, ScriptedServer)."""

    def exit_json(module, **result):
        raise ModuleExit(result, False, module)

    def fail_json(module, msg, **result):
        raise ModuleExit(dict(result, msg=msg, failed=True), True, module)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)

    def run(module, args, script=(), check_mode=False, diff=False):
        server = ScriptedServer(script)
        monkeypatch.setattr(ApinizerClient, 'request', lambda client, *a, **kw: server.request(*a, **kw))
        arguments = dict(CONNECTION, _ansible_check_mode=check_mode, _ansible_diff=diff)
        arguments.update(args)
        with module_args(arguments):
            with pytest.raises(ModuleExit) as caught:
                module.main()
        assert server.script == [], 'requests planned by the test were not sent: %s' % server.script
        return caught.value, server

    return run
