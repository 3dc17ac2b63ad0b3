# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The long runs the secret hygiene cases scan, started in the background when the session starts: every
integration target (ansible-test integration -vvv, diff mode on), the molecule scenario of the role (verbosity 3,
diff mode on) and the AWX ansible-runner test (-vvv --diff). Each job keeps its outputs, the secrets it handled (an
apinizer_emulator.leaks.Secrets), and the secrets some of its files must hold."""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time

from apinizer_emulator import leaks
from apinizer_emulator.server import EmulatorServer

import support


class Job:
    """One background run: rc, seconds, outputs (files to scan), secrets (a leaks.Secrets), expected {path: [names of
    the secrets that must stand there]}, notes, error (a set-up failure)."""

    def __init__(self, name):
        self.name = name
        self.rc = None
        self.seconds = 0.0
        self.outputs = []
        self.secrets = leaks.Secrets()
        self.expected = {}
        self.notes = []
        self.error = None
        self.skipped = None
        self.text = ''
        self._done = threading.Event()

    def wait(self, timeout=1800):
        if not self._done.wait(timeout):
            raise AssertionError('%s did not finish within %d s' % (self.name, timeout))
        return self

    def finish(self):
        self._done.set()

    def read_outputs(self):
        texts = []
        for path in self.outputs:
            with open(path, 'rb') as handle:
                texts.append(handle.read().decode('utf-8', 'replace'))
        return '\n'.join(texts)


def clean_environment(extra=None):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('APINIZER_', 'ANSIBLE_', 'MOLECULE_')))
    env['PATH'] = support.BIN + os.pathsep + env.get('PATH', '')
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    env.update(extra or {})
    return env


def run_logged(command, directory, stem, env, cwd, timeout=1800):
    """Run a command with stdout and stderr in DIRECTORY/STEM.stdout|.stderr; returns (rc, [paths])."""
    out_path, err_path = os.path.join(directory, stem + '.stdout'), os.path.join(directory, stem + '.stderr')
    with open(out_path, 'wb') as out, open(err_path, 'wb') as err:
        rc = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                            timeout=timeout, check=False).returncode
    return rc, [out_path, err_path]


def make_pki(collection, directory):
    subprocess.run([sys.executable, os.path.join(collection, 'tests', 'integration', 'targets', 'setup_apinizer', 'files',
                                                 'make_test_pki.py'),
                    '--emulator-dir', os.path.join(collection, 'tests', 'emulator'), directory], check=True)
    return directory


def integration_targets(collection):
    """The targets ansible-test runs (not hidden), less the *_leaks targets: each of those already runs its scenarios
    at -vvv in diff mode and scans them (make integration, on every core), so running it here would only repeat that."""
    targets = []
    for path in sorted(glob.glob(os.path.join(collection, 'tests', 'integration', 'targets', '*', 'aliases'))):
        with open(path) as handle:
            aliases = handle.read().split()
        name = os.path.basename(os.path.dirname(path))
        if 'hidden' not in aliases and 'disabled' not in aliases and not name.endswith('_leaks'):
            targets.append(name)
    return targets


# --- the jobs -------------------------------------------------------------------------------------------------------

def integration_job(job, work):
    """ansible-test integration -vvv of the targets (integration_targets), diff mode on (integration.cfg), against its own emulator, with
    the test PKI made here so that its secrets are known (integration_config.yml sets apinizer_pki)."""
    os.makedirs(work)
    collection = support.arrange_collection(os.path.join(work, 'tree'))
    pki = make_pki(collection, os.path.join(work, 'pki'))
    token, read_only = 'it-' + secrets.token_urlsafe(32), 'it-ro-' + secrets.token_urlsafe(32)
    password = secrets.token_urlsafe(24)
    job.secrets.add('token', token).add('read-only token', read_only).add('password', password).add_directory(pki)
    job.targets = integration_targets(collection)
    job.pki = pki
    server = EmulatorServer(tokens=[token], read_only_tokens=[read_only], users={'integration-user': password}).start()
    try:
        config = os.path.join(collection, 'tests', 'integration', 'integration_config.yml')
        with open(config, 'w') as handle:
            handle.write('---\n' + ''.join('%s: %s\n' % (k, json.dumps(v)) for k, v in (
                ('apinizer_url', server.url), ('apinizer_token', token), ('apinizer_read_only_token', read_only),
                ('apinizer_project', support.PROJECT), ('apinizer_pki', pki),
                ('apinizer_emulator_dir', os.path.join(collection, 'tests', 'emulator')))))
        with open(os.path.join(collection, 'tests', 'integration', 'integration.cfg'), 'w') as handle:
            handle.write('[defaults]\n\n[diff]\nalways = True\n')
        version = '%d.%d' % sys.version_info[:2]
        job.rc, job.outputs = run_logged(
            [support.tool('ansible-test'), 'integration', '-vvv', '--python', version, '--python-interpreter', sys.executable,
             '--color', 'no', '--continue-on-error'] + job.targets, work, 'ansible-test', clean_environment(), collection)
    finally:
        server.stop()
    os.remove(config)  # the job's input, not its output
    job.outputs += support.files_under(os.path.join(collection, 'tests', 'output'), os.path.join(pki, 'export'))
    job.notes.append('%d targets: %s' % (len(job.targets), ', '.join(job.targets)))


def installed_collection(collections_path, work):
    """A collections path holding apinizer.apiops installed from a built tarball (MANIFEST.json)."""
    if os.path.exists(os.path.join(collections_path, 'ansible_collections', 'apinizer', 'apiops', 'MANIFEST.json')):
        return collections_path
    source = support.arrange_collection(os.path.join(work, 'source'))
    dist, installed = os.path.join(work, 'dist'), os.path.join(work, 'installed')
    env = clean_environment()
    subprocess.run([support.tool('ansible-galaxy'), 'collection', 'build', '--force', '--output-path', dist], cwd=source,
                   env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([support.tool('ansible-galaxy'), 'collection', 'install', '--force', '--collections-path', installed]
                   + glob.glob(os.path.join(dist, '*.tar.gz')), env=env, check=True, stdout=subprocess.DEVNULL)
    return installed


class Watcher(threading.Thread):
    """Copies the molecule scenario's emulator.json (its token) and its PKI while the scenario runs: both are
    removed by its cleanup and destroy steps."""

    def __init__(self, temp, keep):
        super(Watcher, self).__init__(daemon=True)
        self.temp, self.keep = temp, keep
        self.stop = threading.Event()
        self.token = None
        self.pki = None

    def run(self):
        while not self.stop.is_set():
            for state in glob.glob(os.path.join(self.temp, 'apinizer-molecule.*')):
                self._copy(state)
            time.sleep(0.1)

    def _copy(self, state):
        if self.token is None:
            try:
                with open(os.path.join(state, 'emulator.json')) as handle:
                    self.token = json.load(handle)['token']
            except (IOError, OSError, ValueError, KeyError):
                pass
        last = os.path.join(state, 'pki', '15-bytes.bin')  # the last file make_test_pki.py writes
        if self.pki is None and os.path.exists(last):
            time.sleep(0.2)
            target = os.path.join(self.keep, 'pki')
            shutil.copytree(os.path.join(state, 'pki'), target)
            self.pki = target


def molecule_job(job, work, collections):
    """tests/scripts/molecule.sh (molecule test -s apinizer_deploy) with ANSIBLE_VERBOSITY=3 and diff mode on."""
    os.makedirs(work)
    collection = support.arrange_collection(os.path.join(work, 'tree'))
    scenario = os.path.join(collection, 'extensions', 'molecule', 'apinizer_deploy', 'molecule.yml')
    script = os.path.join(collection, 'tests', 'scripts', 'molecule.sh')
    if not os.path.exists(scenario) or not os.path.exists(script):
        job.skipped = 'no molecule scenario apinizer_deploy (or tests/scripts/molecule.sh) in the collection'
        return
    temp = os.path.join(work, 'tmp')
    os.makedirs(temp)
    watcher = Watcher(temp, work)
    watcher.start()
    try:
        job.rc, job.outputs = run_logged(['bash', script, collection, collections], work, 'molecule', clean_environment(dict(
            TMPDIR=temp, ANSIBLE_VERBOSITY='3', ANSIBLE_DIFF_ALWAYS='true')), collection)
    finally:
        watcher.stop.set()
        watcher.join(5)
    if watcher.token is None or watcher.pki is None:
        job.error = 'could not capture the scenario\'s token and PKI while it ran: the scan cannot be trusted'
        return
    job.secrets.add('token', watcher.token).add_directory(watcher.pki)
    job.outputs += support.files_under(temp) + support.files_under(os.path.join(collection, '.ansible'))


def awx_runner_test():
    """tests/scripts/awx_runner_test.py as a module: its job_secrets() reads a job's secrets back."""
    spec = importlib.util.spec_from_file_location('awx_runner_test', os.path.join(support.ROOT, 'tests', 'scripts',
                                                                                  'awx_runner_test.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def awx_job(job, work, collections):
    """tests/scripts/awx_runner_test.py (ansible-runner, -vvv --diff, two jobs), its work directory kept; the secrets
    are read back from the private data directory (token, vault password, the project's keys decrypted) by the
    script's own job_secrets()."""
    script = os.path.join(support.ROOT, 'tests', 'scripts', 'awx_runner_test.py')
    if not os.path.exists(script):
        job.skipped = 'no tests/scripts/awx_runner_test.py'
        return
    os.makedirs(work)
    runner = os.path.join(work, 'runner')
    job.rc, job.outputs = run_logged([sys.executable, script, collections, '--work-dir', runner, '--keep'], work, 'awx',
                                     clean_environment(), support.ROOT)
    private = os.path.join(runner, 'private_data_dir')
    job.secrets = awx_runner_test().job_secrets(private)
    job.outputs += glob.glob(os.path.join(runner, '*-runner-output.log')) + support.files_under(
        os.path.join(private, 'artifacts'))
    # ansible-runner records the job's environment -- the credential's input, token included -- in the 0600 file
    # artifacts/<ident>/command (see the script's docstring); the token must be there, key material must not.
    for path in glob.glob(os.path.join(private, 'artifacts', '*', 'command')):
        job.expected[path] = ['token']


# --- the lanes ------------------------------------------------------------------------------------------------------

class Background:
    """Runs the jobs in two lanes (integration; molecule then AWX) while the other cases run."""

    def __init__(self, work, collections_path):
        self.work = work
        self.collections_path = collections_path
        self.integration = Job('integration targets')
        self.molecule = Job('molecule scenario')
        self.awx = Job('AWX ansible-runner test')
        self.installed = None
        self.lanes = []

    def start(self):
        self.lanes = [threading.Thread(target=self._lane, args=([(self.integration, self._integration)],), daemon=True),
                      threading.Thread(target=self._lane, args=([(self.molecule, self._molecule), (self.awx, self._awx)],),
                                       daemon=True)]
        for lane in self.lanes:
            lane.start()
        return self

    def _integration(self, job):
        integration_job(job, os.path.join(self.work, 'integration'))

    def _molecule(self, job):
        self.installed = installed_collection(self.collections_path, os.path.join(self.work, 'installed'))
        molecule_job(job, os.path.join(self.work, 'molecule'), self.installed)

    def _awx(self, job):
        if self.installed is None:
            self.installed = installed_collection(self.collections_path, os.path.join(self.work, 'installed-again'))
        awx_job(job, os.path.join(self.work, 'awx'), self.installed)

    @staticmethod
    def _lane(jobs):
        for job, body in jobs:
            started = time.monotonic()
            try:
                body(job)
            except Exception as exc:  # pylint: disable=broad-except
                job.error = '%s: %s' % (type(exc).__name__, exc)
            finally:
                job.seconds = time.monotonic() - started
                job.finish()
