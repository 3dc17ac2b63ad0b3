# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Records every task result of a playbook run as one JSON line, for the reliability suite to assert on.

Enabled by the suite only (ANSIBLE_CALLBACKS_ENABLED=reliability_recorder). Writes to the file named by
RELIABILITY_RECORD. When RELIABILITY_EMULATOR_URL names an emulator, each record also carries the API requests
that emulator logged while the task ran (tasks run one after another on one host, so they are exact) and the
emulator's state after it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: reliability_recorder
type: aggregate
short_description: Records task results as JSON lines for the reliability suite
description:
  - Test helper of apinizer.apiops; not part of the collection.
"""

import json
import os
import ssl
from urllib.request import urlopen

from ansible.plugins.callback import CallbackBase


def _emulator(url, what):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urlopen(url.rstrip('/') + '/_emulator/' + what, timeout=10, context=context) as response:
        return json.loads(response.read().decode('utf-8'))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'reliability_recorder'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get('RELIABILITY_RECORD')
        self._emulator = os.environ.get('RELIABILITY_EMULATOR_URL')
        self._task = None
        self._seen = 0

    def _last_seq(self):
        entries = _emulator(self._emulator, 'requests')['requests']
        return entries[-1]['seq'] if entries else 0

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task = task.get_name()
        if self._emulator:
            self._seen = self._last_seq()

    def _record(self, result, status, ignore_errors=False):
        if not self._path:
            return
        entry = dict(task=self._task, status=status, ignore_errors=bool(ignore_errors),
                     result=getattr(result, 'result', None) or result._result)
        if self._emulator:
            entry['requests'] = [e for e in _emulator(self._emulator, 'requests')['requests'] if e['seq'] > self._seen]
            entry['state'] = _emulator(self._emulator, 'state')['projects']
        with open(self._path, 'a') as handle:
            handle.write(json.dumps(entry, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed', ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')
