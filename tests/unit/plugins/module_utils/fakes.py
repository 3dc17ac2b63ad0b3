# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-ins for the server in reconcile tests: a scripted client and deployment reports."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerClient


def report(*environments, **kwargs):
    failed = kwargs.get('failed', ())
    return {'success': True, 'deploymentResult': {
        'success': not failed, 'message': 'Deployment completed successfully',
        'environmentResults': [{'environmentName': e, 'success': e not in failed,
                                'message': 'Pod unreachable' if e in failed else 'Deployed successfully'}
                               for e in environments]}}


class FakeClient(ApinizerClient):
    """The real client with request() answered from a script, in order, recording every call: get() and
    get_optional() are the client's own."""

    def __init__(self, script=None):  # pylint: disable=super-init-not-called
        self.script = list(script or [])
        self.calls = []

    def request(self, method, path, params=None, json=None, data=None, files=None, raw=False):
        self.calls.append(dict(method=method, path=path, params=params, json=json, data=data, files=files))
        expected_method, expected_path, answer = self.script.pop(0)
        assert (method, path) == (expected_method, expected_path)
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def writes(self):
        return [c['method'] for c in self.calls if c['method'] != 'GET']
