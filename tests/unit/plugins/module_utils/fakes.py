# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-ins for the server: a scripted server, the real client answered by it, and deployment reports."""

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


class ScriptedServer(object):
    """Answers request(method, path, ...) from a script of (method, path, answer) in order -- an exception as the
    answer is raised -- and records every call."""

    def __init__(self, script=None):
        self.script = list(script or [])
        self.calls = []

    def request(self, method, path, params=None, json=None, data=None, files=None):
        self.calls.append(dict(method=method, path=path, params=params, json=json, data=data, files=files))
        assert self.script, 'unexpected request %s %s' % (method, path)
        expected_method, expected_path, answer = self.script.pop(0)
        assert (method, path) == (expected_method, expected_path)
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def requests(self):
        return [(c['method'], c['path']) for c in self.calls]

    @property
    def writes(self):
        return [c['method'] for c in self.calls if c['method'] != 'GET']


class FakeClient(ApinizerClient):
    """The real client with request() answered by a ScriptedServer: get(), get_one() and environment_names() are
    the client's own."""

    def __init__(self, script=None):  # pylint: disable=super-init-not-called
        self.server = ScriptedServer(script)

    def request(self, method, path, params=None, json=None, data=None, files=None):
        return self.server.request(method, path, params=params, json=json, data=data, files=files)

    @property
    def calls(self):
        return self.server.calls

    @property
    def writes(self):
        return self.server.writes
