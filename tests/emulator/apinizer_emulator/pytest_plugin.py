# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""pytest fixtures: one emulator per test session, reset before every test that uses it.

``apinizer_emulator_server`` (session): the running server and its credentials.
``apinizer_emulator`` (function): resets the server; has ``.url``, ``.token``, ``.read_only_token``,
``.username``, ``.password``, ``.control`` (an EmulatorControl) and ``.projects``.
``apinizer_emulator_projects`` (function): override it to start each test with other projects.
"""

from __future__ import annotations

import collections
import copy
import secrets

import pytest

from .config import DEFAULT_PROJECTS


class RunningEmulator:
    """A running emulator and the secrets generated for this test session."""

    def __init__(self, server, token, read_only_token, username, password):
        from .client import EmulatorControl  # pylint: disable=import-outside-toplevel

        self.server = server
        self.url = server.url
        self.token = token
        self.read_only_token = read_only_token
        self.username = username
        self.password = password
        self.control = EmulatorControl(server.url)


class EmulatorForTest:
    def __init__(self, running, projects):
        self.url = running.url
        self.token = running.token
        self.read_only_token = running.read_only_token
        self.username = running.username
        self.password = running.password
        self.control = running.control
        self.projects = projects

    def headers(self, token=None):
        """The Authorization header for the read-write token (or the token given)."""
        return {'Authorization': 'Bearer %s' % (token or self.token)}


@pytest.fixture(scope='session')
def apinizer_emulator_server():
    pytest.importorskip('flask', reason='the Apinizer emulator needs Flask')
    from .server import EmulatorServer  # pylint: disable=import-outside-toplevel

    token = 'rw-' + secrets.token_urlsafe(32)
    read_only_token = 'ro-' + secrets.token_urlsafe(32)
    username = 'emulator-user'
    password = secrets.token_urlsafe(24)
    server = EmulatorServer(projects=DEFAULT_PROJECTS, tokens=[token], read_only_tokens=[read_only_token],
                            users={username: password}).start()
    try:
        yield RunningEmulator(server, token, read_only_token, username, password)
    finally:
        server.stop()


@pytest.fixture
def apinizer_emulator_projects():
    """The projects each test starts with: ``{name: [environment, ...]}``."""
    return copy.deepcopy(DEFAULT_PROJECTS)


@pytest.fixture
def apinizer_emulator(apinizer_emulator_server, apinizer_emulator_projects):  # pylint: disable=redefined-outer-name
    projects = collections.OrderedDict(apinizer_emulator_projects)
    apinizer_emulator_server.control.reset(projects=projects)
    yield EmulatorForTest(apinizer_emulator_server, projects)
