# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small client of the emulator's control surface (/_emulator/), for tests and scripts."""

from __future__ import annotations

import requests


class EmulatorControlError(RuntimeError):
    pass


class EmulatorControl:
    """``EmulatorControl(url, verify=True, cert=None)``; ``verify`` and ``cert`` are passed to requests."""

    def __init__(self, url, verify=True, cert=None, timeout=10):
        self.url = url.rstrip('/')
        self.timeout = timeout
        # Passed on every call: a Session's own verify loses against REQUESTS_CA_BUNDLE in requests.
        self.verify = verify
        self.cert = cert
        self.session = requests.Session()

    def _call(self, method, path, body=None):
        kwargs = {'timeout': self.timeout, 'verify': self.verify, 'cert': self.cert}
        if body is not None:
            kwargs['json'] = body
        response = self.session.request(method, self.url + '/_emulator/' + path, **kwargs)
        if response.status_code >= 400:
            raise EmulatorControlError('%s /_emulator/%s answered %d: %s' % (method, path, response.status_code, response.text))
        return response.json()

    def health(self):
        return self._call('GET', 'health')

    def reset(self, **settings):
        """Forget every object, request and fault; back to the start configuration. Optional: projects={name: [env, ...]},
        token_ttl, variant (a profile: default, strict) and the variant switches (omit_list_content, not_found_status,
        key_list_shape, jwk_query, strict_accept, keystore_request, jwk_request, jwk_action_paths)."""
        return self._call('POST', 'reset', settings or None)

    def config(self, **settings):
        """Without arguments: the current settings. With token_ttl, variant and/or variant switches: change them."""
        if settings:
            return self._call('POST', 'config', settings)
        return self._call('GET', 'config')

    def requests(self):
        return self._call('GET', 'requests')['requests']

    def writes(self):
        return [entry for entry in self.requests() if entry['write']]

    def clear_requests(self):
        self._call('DELETE', 'requests')

    def add_fault(self, kind, **settings):
        """Add one fault, e.g. ``add_fault('status', status=503, path='/keys/')``; returns it with its id."""
        body = dict(settings)
        body['kind'] = kind
        return self._call('POST', 'faults', body)

    def faults(self):
        return self._call('GET', 'faults')['faults']

    def remove_fault(self, fault_id):
        self._call('DELETE', 'faults/%d' % fault_id)

    def clear_faults(self):
        self._call('DELETE', 'faults')

    def state(self):
        return self._call('GET', 'state')

    def close(self):
        self.session.close()
