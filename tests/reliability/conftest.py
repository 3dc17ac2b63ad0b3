# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures of the reliability suite and the hook that writes the report (build/reports/reliability.md) at the end of the session.

Every test carries ``@pytest.mark.reliability(group=..., description=..., expectation=...)`` (parametrized tables
put it on each pytest.param); its id is the parameter id or the test name. The outcome of each case (passed or
failed, with a detail line) goes into the report."""

from __future__ import annotations

import os
import shlex
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR_DIR = os.path.join(os.path.dirname(HERE), 'emulator')
for _path in (EMULATOR_DIR, HERE):
    if _path not in sys.path:
        sys.path.insert(0, _path)

# Importing the fixtures into this conftest registers them.
from apinizer_emulator.pytest_plugin import (  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import
    add_options as add_emulator_options,
    apinizer_emulator,
    apinizer_emulator_projects,
    apinizer_emulator_server,
    apinizer_emulator_variant,
)

import hygiene  # noqa: E402 pylint: disable=wrong-import-position
import support  # noqa: E402 pylint: disable=wrong-import-position

CASES = pytest.StashKey()
DETAIL = pytest.StashKey()
COUNTS = pytest.StashKey()
STARTED = pytest.StashKey()
NOTE = pytest.StashKey()
HYGIENE = pytest.StashKey()


def pytest_addoption(parser):
    add_emulator_options(parser)  # the plugin's options (its variant), not registered here as an entry point
    group = parser.getgroup('reliability')
    group.addoption('--reliability-report', default=None,
                    help='write the report here (default: build/reports/reliability.md, only when the whole suite ran)')
    group.addoption('--reliability-command', default=None, help='the command named in the report')
    group.addoption('--apinizer-collections', default=None,
                    help='a collections path holding apinizer.apiops (e.g. build/collections); default: arrange a copy '
                         'of the working tree in a temporary directory')


def pytest_configure(config):
    config.addinivalue_line('markers', 'reliability(group, description, expectation, id=None): a case of the report')
    config.stash[CASES] = []
    config.stash[STARTED] = time.time()


def _group(item):
    marker = item.get_closest_marker('reliability')
    return marker.kwargs.get('group') if marker else None


def pytest_collection_modifyitems(items):
    """Groups in report order; secret hygiene last, since it scans the runs of the others."""
    order = dict((group, index) for index, (group, _title) in enumerate(support.GROUP_TITLES))
    items.sort(key=lambda item: order.get(_group(item), len(order)))


def pytest_collection_finish(session):
    session.config.stash[HYGIENE] = any(_group(item) == 'secret-hygiene' for item in session.items)


def case_of(item):
    marker = item.get_closest_marker('reliability')
    if marker is None:
        return None
    callspec = getattr(item, 'callspec', None)
    case_id = marker.kwargs.get('id') or (callspec.id if callspec else item.name[len('test_'):].replace('_', '-'))
    return dict(id=case_id, group=marker.kwargs['group'], description=marker.kwargs['description'],
                expectation=marker.kwargs['expectation'], nodeid=item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    case = case_of(item)
    if case is None or not (report.when == 'call' or (report.when == 'setup' and not report.passed)):
        return
    details = item.stash.get(DETAIL, [])
    case['counts'] = dict(item.stash.get(COUNTS, {}))
    if report.passed:
        case.update(result='passed', detail='; '.join(details))
    else:
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            why = 'skipped: %s' % reason
        else:
            crash = getattr(report.longrepr, 'reprcrash', None)
            why = (crash.message if crash else str(report.longrepr)).strip().splitlines()
            why = why[0] if why else 'failed'
        case.update(result='failed', detail='; '.join([why] + details))
    item.config.stash[CASES].append(case)


def _partial(session):
    """True when only part of the suite ran (-k, -m, --lf, node ids, some files, deselection)."""
    config = session.config
    if config.option.keyword or config.option.markexpr or getattr(config.option, 'lf', False):
        return True
    if getattr(session, 'reliability_deselected', 0) or any('::' in arg for arg in config.args):
        return True
    every = set(name for name in os.listdir(HERE) if name.startswith('test_') and name.endswith('.py'))
    return set(os.path.basename(str(item.path)) for item in session.items) != every


def pytest_deselected(items):
    if items:
        items[0].session.reliability_deselected = len(items)


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    cases = config.stash[CASES]
    if not cases or getattr(config, 'workerinput', None) is not None:
        return
    path = config.getoption('reliability_report')
    if path is None:
        if _partial(session):
            config.stash[NOTE] = 'partial run: no report written (give --reliability-report to write one)'
            return
        path = os.path.join(support.ROOT, 'build', 'reports', 'reliability.md')
    command = config.getoption('reliability_command') or 'pytest ' + ' '.join(shlex.quote(a) for a in config.invocation_params.args)
    support.write_report(path, cases, command, time.time() - config.stash[STARTED])
    config.stash[NOTE] = 'reliability report: %d cases, %d passed, written to %s' % (
        len(cases), sum(1 for c in cases if c['result'] == 'passed'), os.path.relpath(path))


def pytest_terminal_summary(terminalreporter, config):
    note = config.stash.get(NOTE, None)
    if note:
        terminalreporter.write_line(note)


# --- fixtures -------------------------------------------------------------------------------------------------------

@pytest.fixture
def case_detail(request):
    """A list; what a test appends shows in the report's detail column."""
    return request.node.stash.setdefault(DETAIL, [])


@pytest.fixture
def case_counts(request):
    """A dict; what a test puts there the report adds up, e.g. inputs (bad inputs tried beyond the case itself)."""
    return request.node.stash.setdefault(COUNTS, {})


@pytest.fixture(scope='session')
def collections_path(request, tmp_path_factory):
    given = request.config.getoption('apinizer_collections')
    if given:
        return os.path.abspath(given)
    destination = str(tmp_path_factory.mktemp('collection'))
    support.arrange_collection(destination)
    return destination


@pytest.fixture(scope='session')
def ansible(collections_path, tmp_path_factory):
    return support.Ansible(collections_path, str(tmp_path_factory.mktemp('runs')))


@pytest.fixture(scope='session')
def material(tmp_path_factory):
    return support.Material(str(tmp_path_factory.mktemp('material')))


@pytest.fixture
def api(apinizer_emulator):  # pylint: disable=redefined-outer-name
    return support.Api(apinizer_emulator)


@pytest.fixture(scope='session', autouse=True)
def hygiene_background(request, collections_path, tmp_path_factory):
    """The long runs the secret hygiene cases scan (integration targets, molecule, AWX), started with the session
    and run beside the other cases; None when no secret hygiene case is selected."""
    if not request.config.stash.get(HYGIENE, False):
        yield None
        return
    background = hygiene.Background(str(tmp_path_factory.mktemp('hygiene')), collections_path).start()
    yield background
    for lane in background.lanes:
        lane.join(900)
