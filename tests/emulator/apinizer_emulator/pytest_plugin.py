# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""pytest fixtures: one emulator per test session, reset before every test that uses it.

``apinizer_emulator_server`` (session): the running server and its credentials; started with the server variant
of the option ``--apinizer-emulator-variant`` (ini ``apinizer_emulator_variant``), default ``default``.
``apinizer_emulator`` (function): resets the server; has ``.url``, ``.token``, ``.read_only_token``,
``.username``, ``.password``, ``.control`` (an EmulatorControl), ``.projects`` and ``.settings``.
``apinizer_emulator_projects`` (function): override it to start each test with other projects.
``apinizer_emulator_variant`` (function): override it to start each test with another server variant: a profile
name (``'strict'``) or a dict of ``variant`` and switches (``{'not_found_status': 404}``).
"""

from __future__ import annotations

import collections
import copy
import secrets

import pytest

from .config import DEFAULT_PROJECTS
from .variants import PROFILES


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
    def __init__(self, running, projects, settings):
        self.url = running.url
        self.token = running.token
        self.read_only_token = running.read_only_token
        self.username = running.username
        self.password = running.password
        self.control = running.control
        self.projects = projects
        self.settings = settings

    def headers(self, token=None):
        """The Authorization header for the read-write token (or the token given)."""
        return {'Authorization': 'Bearer %s' % (token or self.token)}


def add_options(parser):
    """The plugin's command-line and ini options; safe to call twice (plugin and a conftest that imports it)."""
    help_text = 'server variant of the Apinizer emulator: %s (default: default)' % ', '.join(PROFILES)
    try:
        parser.getgroup('apinizer_emulator').addoption(
            '--apinizer-emulator-variant', dest='apinizer_emulator_variant', choices=list(PROFILES), default=None,
            help=help_text)
    except ValueError:  # already added
        return
    parser.addini('apinizer_emulator_variant', help_text, default=None)


def pytest_addoption(parser):
    add_options(parser)


def _session_variant(config):
    return config.getoption('apinizer_emulator_variant', default=None) or config.getini('apinizer_emulator_variant') or None


def variant_settings(variant):
    """The reset settings of an ``apinizer_emulator_variant`` value: a profile name, a dict, or None/{} for none."""
    if not variant:
        return {}
    if isinstance(variant, str):
        return {'variant': variant}
    return dict(variant)


@pytest.fixture(scope='session')
def apinizer_emulator_server(request):
    pytest.importorskip('flask', reason='the Apinizer emulator needs Flask')
    from .server import EmulatorServer  # pylint: disable=import-outside-toplevel

    token = 'rw-' + secrets.token_urlsafe(32)
    read_only_token = 'ro-' + secrets.token_urlsafe(32)
    username = 'emulator-user'
    password = secrets.token_urlsafe(24)
    server = EmulatorServer(projects=DEFAULT_PROJECTS, tokens=[token], read_only_tokens=[read_only_token],
                            users={username: password}, variant=_session_variant(request.config)).start()
    try:
        yield RunningEmulator(server, token, read_only_token, username, password)
    finally:
        server.stop()


@pytest.fixture
def apinizer_emulator_projects():
    """The projects each test starts with: ``{name: [environment, ...]}``."""
    return copy.deepcopy(DEFAULT_PROJECTS)


@pytest.fixture
def apinizer_emulator_variant():
    """The server variant each test starts with on top of the session's: a profile name (``'strict'``), a dict of
    ``variant`` and switches, or ``{}`` (the session's variant)."""
    return {}


@pytest.fixture
def apinizer_emulator(apinizer_emulator_server, apinizer_emulator_projects,  # pylint: disable=redefined-outer-name
                      apinizer_emulator_variant):
    projects = collections.OrderedDict(apinizer_emulator_projects)
    settings = apinizer_emulator_server.control.reset(projects=projects, **variant_settings(apinizer_emulator_variant))
    yield EmulatorForTest(apinizer_emulator_server, projects, settings)
