# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The harness of the reliability suite: the collection under test, real ansible-playbook runs with every task
result recorded, the test material, direct API calls for set-up, and the generated report (leak scanning is
apinizer_emulator.leaks)."""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time

import requests

from apinizer_emulator import testcerts

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CALLBACK_DIR = os.path.join(HERE, 'callback_plugins')
GROUP = 'group/apinizer.apiops.apinizer'
PROJECT = 'demo'
ENVIRONMENTS = ['production', 'staging', 'development']
BIN = os.path.dirname(sys.executable)


def tool(name):
    """A command of the Python environment that runs this suite (ansible-playbook, ansible-test, ...)."""
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else name


# --- the collection ---------------------------------------------------------------------------------------------

def arrange_collection(dest):
    """A fresh copy of the working tree at dest/ansible_collections/apinizer/apiops; returns that path."""
    subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'scripts', 'arrange_collection.py'), '--dest', dest],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.join(dest, 'ansible_collections', 'apinizer', 'apiops')


# --- playbook runs ----------------------------------------------------------------------------------------------

class PlaybookRun:
    """The outcome of one ansible-playbook run: rc, stdout, stderr, seconds, and one record per task result
    (task, status, ignore_errors, result, and with request recording the API requests of that task)."""

    def __init__(self, rc, stdout, stderr, records, seconds, directory):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.records = records
        self.seconds = seconds
        self.directory = directory

    def record(self, task):
        matches = [r for r in self.records if r['task'] == task]
        if not matches:
            raise AssertionError('no result for task %r; the run recorded %s\n--- stdout (tail) ---\n%s\n--- stderr ---\n%s'
                                 % (task, [r['task'] for r in self.records], self.stdout[-3000:], self.stderr[-3000:]))
        return matches[-1]

    def result(self, task):
        return self.record(task)['result']

    def failed(self, task):
        return self.record(task)['status'] == 'failed'

    def writes(self, task):
        return [r for r in self.record(task).get('requests', []) if r['write']]

    def describe(self):
        return 'rc=%s in %.1fs' % (self.rc, self.seconds)


class RunningPlaybook:
    """An ansible-playbook process started in the background; wait() gives its PlaybookRun."""

    def __init__(self, process, record_path, directory, started, stdout_path, stderr_path):
        self.process = process
        self.record_path = record_path
        self.directory = directory
        self.started = started
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path

    def wait(self, timeout=600):
        rc = self.process.wait(timeout=timeout)
        seconds = time.monotonic() - self.started
        records = []
        if os.path.exists(self.record_path):
            with open(self.record_path) as handle:
                records = [json.loads(line) for line in handle if line.strip()]
        with open(self.stdout_path, encoding='utf-8', errors='replace') as handle:
            stdout = handle.read()
        with open(self.stderr_path, encoding='utf-8', errors='replace') as handle:
            stderr = handle.read()
        return PlaybookRun(rc, stdout, stderr, records, seconds, self.directory)


class Ansible:
    """Runs real ansible-playbook processes against the collection found in collections_path."""

    def __init__(self, collections_path, workdir):
        self.collections_path = collections_path
        self.workdir = workdir
        self.count = 0
        self.runs = []

    def environment(self, extra=None):
        """The process environment: ours without any APINIZER_ or ANSIBLE_ setting, plus the suite's."""
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('APINIZER_', 'ANSIBLE_')))
        env.update(
            ANSIBLE_COLLECTIONS_PATH=self.collections_path,
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
            ANSIBLE_CALLBACK_PLUGINS=CALLBACK_DIR,
            ANSIBLE_CALLBACKS_ENABLED='reliability_recorder',
            ANSIBLE_NOCOLOR='1',
            ANSIBLE_FORCE_COLOR='0',
            ANSIBLE_LOCALHOST_WARNING='false',
            ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
            ANSIBLE_RETRY_FILES_ENABLED='false',
            ANSIBLE_HOST_KEY_CHECKING='false',
            PYTHONDONTWRITEBYTECODE='1',
        )
        env.update(extra or {})
        return env

    def start(self, plays, name='run', env=None, args=(), emulator_url=None):
        """Write the plays (a list, as YAML would hold them) to a fresh directory and start ansible-playbook.
        emulator_url: record, per task, the requests that emulator logged."""
        self.count += 1
        directory = os.path.join(self.workdir, '%03d-%s' % (self.count, name))
        os.makedirs(directory)
        playbook = os.path.join(directory, 'playbook.yml')
        with open(playbook, 'w') as handle:
            json.dump(plays, handle, indent=1)
        inventory = os.path.join(directory, 'inventory.ini')
        with open(inventory, 'w') as handle:
            handle.write('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
        record = os.path.join(directory, 'record.jsonl')
        extra = dict(RELIABILITY_RECORD=record, ANSIBLE_LOCAL_TEMP=os.path.join(directory, 'tmp'))
        if emulator_url:
            extra['RELIABILITY_EMULATOR_URL'] = emulator_url
        extra.update(env or {})
        stdout_path, stderr_path = os.path.join(directory, 'stdout.txt'), os.path.join(directory, 'stderr.txt')
        with open(stdout_path, 'w') as out, open(stderr_path, 'w') as err:
            process = subprocess.Popen([tool('ansible-playbook'), '-i', inventory, playbook] + list(args), cwd=directory,
                                       env=self.environment(extra), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        return RunningPlaybook(process, record, directory, time.monotonic(), stdout_path, stderr_path)

    def run(self, plays, name='run', env=None, args=(), emulator_url=None, timeout=600):
        run = self.start(plays, name=name, env=env, args=args, emulator_url=emulator_url).wait(timeout)
        self.runs.append(run)
        return run


def play(tasks, connection=None, name='reliability', play_vars=None):
    """One play on localhost; connection options go into module_defaults of the collection's action group."""
    entry = dict(name=name, hosts='localhost', gather_facts=False, tasks=tasks)
    if connection:
        entry['module_defaults'] = {GROUP: connection}
    if play_vars:
        entry['vars'] = play_vars
    return [entry]


def task(name, module, args, ignore_errors=True, **keywords):
    """A task calling apinizer.apiops.<module>; failures are recorded, not fatal, unless told otherwise."""
    entry = {'name': name, 'apinizer.apiops.' + module: args}
    if ignore_errors:
        entry['ignore_errors'] = True
    entry.update(keywords)
    return entry


def cert_args(name, certificate, environments=('production',), **extra):
    """apinizer_certificate arguments for one certificate."""
    return dict(dict(name=name, certificate=certificate, environments=list(environments)), **extra)


def secret_key_args(material, name, environments=('production',), **extra):
    """apinizer_key arguments for material's secret key."""
    return dict(dict(name=name, key_type='secret_key', content=material.secret_key_b64, environments=list(environments)),
                **extra)


def connection(emulator, **overrides):
    """The connection options for the emulator of a test (None values are left out)."""
    options = dict(url=emulator.url, token=emulator.token, project=PROJECT, timeout=10, retries=3)
    options.update(overrides)
    return dict((k, v) for k, v in options.items() if v is not None)


# --- the emulator -------------------------------------------------------------------------------------------------

class Api:
    """Direct calls to the emulator for set-up and inspection, bypassing the collection."""

    def __init__(self, emulator, project=PROJECT):
        self.emulator = emulator
        self.url = emulator.url
        self.project = project
        self.control = emulator.control

    def _call(self, method, path, **kwargs):
        response = requests.request(method, self.url + '/apiops/projects/%s/%s' % (self.project, path),
                                    headers={'Authorization': 'Bearer %s' % self.emulator.token}, timeout=10, **kwargs)
        assert response.status_code == 200, 'set-up call %s %s failed: %s' % (method, path, response.text)
        return response.json()

    def create_certificate(self, name, pem, environments, alias=None, description=''):
        fields = dict(certificateName=(None, name), alias=(None, alias or name), certificateDescription=(None, description),
                      environmentList=(None, ','.join(environments)),
                      pemEncodedFile=('certificate.pem', pem, 'application/x-pem-file'))
        return self._call('POST', 'certificates/', files=fields)

    def create_key(self, name, key_type, environments, content, description=''):
        body = dict(name=name, description=description, keyType=key_type, cryptoKeyInfoEnvironmentList=[
            dict(environmentName=environment, content=base64.b64encode(content).decode('ascii'), alias=name)
            for environment in environments])
        return self._call('POST', 'keys/', json=body)

    def state(self):
        return self.control.state()['projects'][self.project]

    def certificates(self):
        return dict((c['name'], c) for c in self.state()['certificates'])

    def keys(self):
        return dict((k['name'], k) for k in self.state()['keys'])

    def requests(self):
        return self.control.requests()

    def writes(self):
        return [r for r in self.control.requests() if r['write']]


def summarize_requests(entries):
    """'POST /path 200, ...' for details and failure messages."""
    return ', '.join('%s %s %s' % (e['method'], e['path'], 'dropped' if e.get('dropped') else e['status']) for e in entries)


# --- test material ------------------------------------------------------------------------------------------------

def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


class Material:
    """Certificates, chains and keys the cases use, generated once per session, with files in directory."""

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.ca = testcerts.make_ca('Reliability Root CA')
        self.intermediate = testcerts.make_certificate('Reliability Intermediate CA', organization='Reliability',
                                                       issuer=self.ca, is_ca=True, days=60)
        self.leaf = testcerts.make_certificate('leaf.reliability.test', issuer=self.intermediate, days=90)
        self.other = testcerts.make_certificate('other.reliability.test', issuer=self.ca, days=90)
        self.third = testcerts.make_certificate('third.reliability.test', issuer=self.ca, days=90)
        self.expired = testcerts.make_certificate('expired.reliability.test', issuer=self.ca,
                                                  not_before=_now() - datetime.timedelta(days=30), days=10)
        self.future = testcerts.make_certificate('future.reliability.test', issuer=self.ca,
                                                 not_before=_now() + datetime.timedelta(days=2), days=30)
        self.rsa = testcerts.new_key('rsa')
        self.passphrase = 'reliability-passphrase-' + secrets.token_hex(16)
        self.secret_key = secrets.token_bytes(32)
        self.many = [testcerts.make_certificate('bundle-%02d.reliability.test' % i, issuer=self.ca, days=90)
                     for i in range(20)]
        # Keys the API cannot hold as PRIVATE_KEY / PUBLIC_KEY (RSA only); a certificate may have them.
        self.ec = testcerts.make_certificate('ec.reliability.test', issuer=self.ca, days=90, key_kind='ec')
        self.ed25519 = testcerts.new_key('ed25519')

    # PEM texts
    def cert(self, issued):
        return issued.cert_text

    def key(self, issued):
        return issued.key_text()

    @property
    def rsa_pem(self):
        return testcerts.private_key_text(self.rsa)

    @property
    def rsa_encrypted_pem(self):
        return testcerts.private_key_text(self.rsa, 'traditional', self.passphrase)

    @property
    def rsa_public_pem(self):
        return testcerts.public_key_text(self.rsa)

    @property
    def ec_public_pem(self):
        return self.ec.public_key_text()

    @property
    def ed25519_pem(self):
        return testcerts.private_key_text(self.ed25519)

    @property
    def secret_key_b64(self):
        return base64.b64encode(self.secret_key).decode('ascii')

    def write(self, name, data):
        path = os.path.join(self.directory, name)
        with open(path, 'wb' if isinstance(data, bytes) else 'w') as handle:
            handle.write(data)
        return path

    def private_pems(self):
        """Every private key PEM a case may hand to a module."""
        return [self.key(i) for i in [self.leaf, self.other, self.third, self.expired, self.future, self.ec] + self.many] + [
            self.rsa_pem, self.rsa_encrypted_pem, self.ed25519_pem]


def files_under(*directories):
    found = []
    for directory in directories:
        for dirpath, _dirnames, filenames in os.walk(directory):
            found += [os.path.join(dirpath, f) for f in filenames]
    return sorted(found)


# --- the report ---------------------------------------------------------------------------------------------------

GROUP_TITLES = [
    ('faults', 'Faults'),
    ('garbage-from-server', 'Garbage from the server'),
    ('bad-input', 'Bad input'),
    ('fuzzed-input', 'Fuzzed input'),
    ('concurrency', 'Concurrency'),
    ('tls', 'TLS to the management API'),
    ('secret-hygiene', 'Secret hygiene'),
]


# The groups whose every case puts the collection through a fault (server errors, rate limits, latency, dropped
# connections, failed deployments, answers that are not the API's, refused server certificates, another run
# writing the same objects): the report counts their passed cases as
# faults survived. Bad input is counted apart: each bad-input case, plus the inputs a case counts (case_counts).
FAULT_GROUPS = ('faults', 'garbage-from-server', 'tls', 'concurrency')
BAD_INPUT_GROUPS = ('bad-input', 'fuzzed-input')


def tally(cases):
    """The report's counts: {bad: (tried, handled as promised), cases: bad-input cases, inputs: the inputs cases
    counted (case_counts), faults: (fault cases, passed)}."""
    bad = [c for c in cases if c['group'] in BAD_INPUT_GROUPS]
    faults = [c for c in cases if c['group'] in FAULT_GROUPS]

    def inputs(case):
        return case.get('counts', {}).get('inputs', 1)
    return dict(bad=(sum(inputs(c) for c in bad), sum(inputs(c) for c in bad if c['result'] == 'passed')),
                cases=sum(1 for c in bad if 'inputs' not in c.get('counts', {})),
                inputs=sum(c['counts']['inputs'] for c in bad if 'inputs' in c.get('counts', {})),
                faults=(len(faults), sum(1 for c in faults if c['result'] == 'passed')))


# pytest's temporary directories change with every run; the report names them <tmp>.
TEMPORARY = re.compile(re.escape(tempfile.gettempdir()) + r'/pytest-of-[^/\s]+/pytest-\d+/')


def _cell(text):
    return TEMPORARY.sub('<tmp>/', ' '.join(str(text or '').split())).replace('|', '\\|')


def write_report(path, cases, command, seconds):
    """The report (docs/reliability.md once published): every case with its expectation and the result of this run."""
    passed = sum(1 for c in cases if c['result'] == 'passed')
    counts = tally(cases)
    lines = [
        '# Reliability and security report',
        '',
        '<!-- Generated by tests/reliability (pytest); do not edit by hand: run `make reliability`, then `make reports`. -->',
        '',
        'Generated on %s by `%s` in %d seconds: **%d of %d cases passed**.'
        % (datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), command, seconds, passed, len(cases)),
        '',
        '**Bad inputs tried: {:,}**, {:,} of them handled as promised: {:,} bad-input cases (each refused before any '
        'write) and {:,} fuzzed inputs (each parsed, or refused with our own error). **Faults survived: {:,} of {:,}** '
        'cases of the groups {}, each putting the collection through a fault.'.format(
            counts['bad'][0], counts['bad'][1], counts['cases'], counts['inputs'], counts['faults'][1],
            counts['faults'][0], ' and '.join(dict(GROUP_TITLES).get(group, group) for group in FAULT_GROUPS)),
        '',
        'Each case drives real `ansible-playbook` runs of the collection against the bundled Apinizer emulator over '
        'HTTP(S) and checks the outcome, the server\'s final state (`/_emulator/state`) and the requests it logged '
        '(`/_emulator/requests`); the fuzzed inputs are the property-based tests of the parsers, run against the '
        'same collection. See `tests/reliability/README.md`.',
        '',
        '| group | cases | passed | failed |',
        '|---|---|---|---|',
    ]
    titles = dict(GROUP_TITLES)
    order = [g for g, _t in GROUP_TITLES] + sorted(set(c['group'] for c in cases) - set(titles))
    for group in order:
        members = [c for c in cases if c['group'] == group]
        if members:
            ok = sum(1 for c in members if c['result'] == 'passed')
            lines.append('| %s | %d | %d | %d |' % (titles.get(group, group), len(members), ok, len(members) - ok))
    for group in order:
        members = [c for c in cases if c['group'] == group]
        if not members:
            continue
        lines += ['', '## %s' % titles.get(group, group), '', '| id | case | expectation | result | detail |',
                  '|---|---|---|---|---|']
        for case in members:
            result = 'passed' if case['result'] == 'passed' else '**FAILED**'
            cells = (case['id'], _cell(case['description']), _cell(case['expectation']), result, _cell(case['detail'])[:600])
            lines.append('| `%s` | %s | %s | %s | %s |' % cells)
    lines.append('')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines))
