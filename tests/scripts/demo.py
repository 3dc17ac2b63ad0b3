#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""make demo: the role apinizer.apiops.apinizer_deploy in four phases, each one checked.

Usage: python tests/scripts/demo.py COLLECTIONS_PATH --work-dir DIR [--target auto|emulator]

COLLECTIONS_PATH holds the collection installed from the built tarball (build/collections,
`make build`); the demo runs that copy's examples/demo.yml and examples/demo_pki.py, and
checks that it leaves the installed copy as it found it. Everything it writes goes under
DIR (emptied first): the certificates and keys, one log per phase.

1. deploy    examples/demo_pki.py create, then examples/demo.yml: three bundles (two TLS
             certificates with their chain and RSA key, a secret key that differs per
             environment) created in three environments by one module run; the expiry
             report flags demo-portal, which expires in 20 days.
2. rerun     the same playbook again: changed=0, every object unchanged, no write.
3. rotate    examples/demo_pki.py rotate renews demo-portal (new leaf, new RSA key); the
             playbook replaces that certificate and sends its key again, in the same run,
             and nothing else; the expiry report flags nothing.
4. summary   changed tasks, objects and writes per phase.

The target is a fresh emulator in this process (project demo: production, staging,
development), unless --target is auto and APINIZER_URL is set with APINIZER_TOKEN or
APINIZER_USERNAME: then the Apinizer it names (APINIZER_PROJECT, default demo;
APINIZER_ENVIRONMENTS, default production,staging,development). Against a real server the
request-log checks (writes per phase) are skipped, as are the exact counts of the first
phase (the project may already hold the demo bundles); the rest is checked the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR_DIR = os.path.join(ROOT, 'tests', 'emulator')
# The emulator's package: its server (when the demo runs against it) and its output helpers (always).
sys.path.insert(0, EMULATOR_DIR)
PROJECT = 'demo'
ENVIRONMENTS = ['production', 'staging', 'development']
PLAYBOOK_TIMEOUT = 600

# The objects of examples/demo.yml's bundles: (type, name).
CERTIFICATES = ['demo-api', 'demo-api-chain-1', 'demo-portal', 'demo-portal-chain-1']
KEYS = ['demo-api', 'demo-portal', 'demo-token-key']
OBJECTS = len(CERTIFICATES) + len(KEYS)

# What each phase must do against the emulator: the role's summary counts, PLAY RECAP changed,
# the writes it sends (method, object path relative to the project), the expiry report.
EXPECTED = {
    'deploy': dict(
        counts=dict(created=OBJECTS, updated=0, deleted=0, unchanged=0), changed=1,
        writes=sorted([('POST', 'certificates/')] * len(CERTIFICATES) + [('POST', 'keys/')] * len(KEYS)),
        expiring=['demo-portal']),
    'rerun': dict(
        counts=dict(created=0, updated=0, deleted=0, unchanged=OBJECTS), changed=0, writes=[], expiring=['demo-portal']),
    'rotate': dict(
        counts=dict(created=0, updated=2, deleted=0, unchanged=OBJECTS - 2), changed=1,
        writes=[('PUT', 'certificates/demo-portal/'), ('PUT', 'keys/demo-portal/')], expiring=[]),
}
# In the rotation, the role's summary line of demo-portal says both halves moved.
ROTATED = ('certificate demo-portal updated', 'key demo-portal updated')

SUMMARY = re.compile(r'"project (?P<project>\S+): created (?P<created>\d+), updated (?P<updated>\d+), '
                     r'deleted (?P<deleted>\d+), unchanged (?P<unchanged>\d+)')
EXPIRING = re.compile(r'"expiring within \d+ days: (?P<names>[^"]*)"')


class DemoFailure(Exception):
    """A phase did not do what the demo promises."""


def snapshot(directory):
    """Every file under directory with its size and modification time."""
    files = {}
    for dirpath, _dirnames, filenames in os.walk(directory):
        for filename in filenames:
            path = os.path.join(dirpath, filename)
            status = os.lstat(path)
            files[os.path.relpath(path, directory)] = (status.st_size, status.st_mtime_ns)
    return files


class Target:
    """The server the demo talks to, and the environment its playbook runs with."""

    def __init__(self, target):
        self.server = None
        self.control = None
        self.environ = dict(os.environ)
        real = bool(os.environ.get('APINIZER_URL')) and bool(os.environ.get('APINIZER_TOKEN') or os.environ.get('APINIZER_USERNAME'))
        self.emulated = target == 'emulator' or not real
        if not self.emulated:
            self.project = os.environ.get('APINIZER_PROJECT') or PROJECT
            self.environ['APINIZER_PROJECT'] = self.project
            self.description = 'the Apinizer at %s' % os.environ['APINIZER_URL']
            return
        for name in list(self.environ):
            if name.startswith('APINIZER_'):
                del self.environ[name]
        self.project = PROJECT
        self.token = secrets.token_hex(40)
        self.description = 'the emulator'

    def start(self):
        if not self.emulated:
            return
        from apinizer_emulator.client import EmulatorControl  # pylint: disable=import-outside-toplevel,import-error
        from apinizer_emulator.server import EmulatorServer  # pylint: disable=import-outside-toplevel,import-error

        self.server = EmulatorServer(projects={PROJECT: ENVIRONMENTS}, tokens=[self.token]).start()
        self.control = EmulatorControl(self.server.url)
        self.environ.update(APINIZER_URL=self.server.url, APINIZER_TOKEN=self.token, APINIZER_PROJECT=PROJECT)
        self.description = 'the emulator at %s' % self.server.url

    def stop(self):
        if self.server is not None:
            self.server.stop()
            self.server = None
            print('emulator stopped')

    def clear_requests(self):
        if self.control is not None:
            self.control.clear_requests()

    def state(self):
        """The emulator's objects of the demo project: ({certificate: sha1}, {key: {environment: sha256}}); None against a
        real server."""
        if self.control is None:
            return None
        project = self.control.state()['projects'][PROJECT]
        certificates = dict((c['name'], c['sha1_thumbprint']) for c in project['certificates'])
        keys = dict((k['name'], dict((e['name'], e['content_sha256']) for e in k['environments'])) for k in project['keys'])
        return certificates, keys

    def writes(self):
        """(method, path relative to the project) of each write since clear_requests; None against a real server."""
        if self.control is None:
            return None
        prefix = '/apiops/projects/%s/' % PROJECT
        return sorted((entry['method'], entry['path'][len(prefix):] if entry['path'].startswith(prefix) else entry['path'])
                      for entry in self.control.writes())


class Demo:
    def __init__(self, collections, work, target):
        self.installed = os.path.join(collections, 'ansible_collections', 'apinizer', 'apiops')
        self.collections = collections
        self.work = work
        self.pki_dir = os.path.join(work, 'pki')
        self.target = target
        self.results = []
        self.portal_key = None

    def pki(self, action):
        command = [sys.executable, os.path.join(self.installed, 'examples', 'demo_pki.py'), action, self.pki_dir]
        print('\n==> python examples/demo_pki.py %s %s' % (action, os.path.relpath(self.pki_dir, ROOT)))
        sys.stdout.flush()
        subprocess.run(command, env=self.target.environ, check=True, timeout=120)

    def playbook(self, phase):
        """Run examples/demo.yml, show its output and keep it in WORK/PHASE.log; answer the output."""
        environ = dict(self.target.environ, ANSIBLE_COLLECTIONS_PATH=self.collections, ANSIBLE_LOCALHOST_WARNING='false',
                       ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_FORCE_COLOR='false', ANSIBLE_NOCOLOR='true',
                       ANSIBLE_RETRY_FILES_ENABLED='false')
        command = ['ansible-playbook', os.path.join(self.installed, 'examples', 'demo.yml'), '-e', 'demo_dir=' + self.pki_dir]
        print('\n==> ansible-playbook examples/demo.yml (%s, %s)' % (phase, self.target.description))
        sys.stdout.flush()
        self.target.clear_requests()
        started = time.monotonic()
        completed = subprocess.run(command, env=environ, cwd=self.work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=PLAYBOOK_TIMEOUT, check=False)
        seconds = time.monotonic() - started
        output = completed.stdout.decode('utf-8', 'replace')
        with open(os.path.join(self.work, phase + '.log'), 'w', encoding='utf-8') as handle:
            handle.write(output)
        sys.stdout.write(output)
        if completed.returncode != 0:
            raise DemoFailure('%s: ansible-playbook exited with %d' % (phase, completed.returncode))
        return output, seconds

    def phase(self, phase):
        output, seconds = self.playbook(phase)
        writes = self.target.writes()
        from apinizer_emulator.playbook import recap  # pylint: disable=import-outside-toplevel,import-error
        summary = SUMMARY.search(output)
        expiring = EXPIRING.search(output)
        try:
            changed = recap(output)['changed']
        except ValueError:
            changed = None
        if changed is None or not (summary and expiring):
            raise DemoFailure('%s: the output lacks the PLAY RECAP, the role summary or the expiry report' % phase)
        result = dict(phase=phase, seconds=seconds, changed=changed, writes=writes,
                      counts=dict((k, int(summary.group(k))) for k in ('created', 'updated', 'deleted', 'unchanged')),
                      expiring=[name for name in expiring.group('names').split(', ') if name and name != 'none'])
        self.results.append(result)
        self.check(result, output)
        return result

    def check(self, result, output):
        phase = result['phase']
        expected = EXPECTED[phase]
        problems = []

        def expect(what, got, want):
            if got != want:
                problems.append('%s: %r, expected %r' % (what, got, want))

        exact = self.target.emulated or phase != 'deploy'
        if exact:
            expect('objects', result['counts'], expected['counts'])
            expect('changed tasks', result['changed'], expected['changed'])
        else:
            expect('objects not yet stored or changed', result['counts']['created'] + result['counts']['updated'] > 0
                   or result['counts']['unchanged'] == OBJECTS, True)
        if phase == 'rotate':
            for fragment in ROTATED:
                if fragment not in output:
                    problems.append('the summary does not say "%s"' % fragment)
        if self.target.emulated:
            expect('writes', result['writes'], expected['writes'])
        # demo-portal expires in 20 days until it is rotated; a real project may hold more that expire.
        expect('demo-portal flagged as expiring', 'demo-portal' in result['expiring'], 'demo-portal' in expected['expiring'])
        if self.target.emulated:
            expect('expiring', result['expiring'], expected['expiring'])
        if self.target.emulated:
            problems += self.check_state(phase)
        if problems:
            raise DemoFailure('%s: %s' % (phase, '; '.join(problems)))

    def check_state(self, phase):
        """What the emulator holds: each certificate is the file's, each environment has its own secret key, and the
        rotation sent demo-portal's new key to every environment."""
        certificates, keys = self.target.state()
        problems = []
        files = dict((name, self.file_sha1(stem)) for name, stem in (
            ('demo-api', 'demo-api'), ('demo-api-chain-1', 'intermediate-ca'), ('demo-portal', 'demo-portal'),
            ('demo-portal-chain-1', 'intermediate-ca')))
        if certificates != files:
            problems.append('the certificates held are not those of %s' % self.pki_dir)
        if sorted(keys) != KEYS or any(sorted(environments) != sorted(ENVIRONMENTS) for environments in keys.values()):
            problems.append('keys held: %r' % dict((name, sorted(environments)) for name, environments in keys.items()))
            return problems
        token_keys = dict((environment, self.file_sha256('demo-token-key-%s.bin' % environment)) for environment in ENVIRONMENTS)
        if keys['demo-token-key'] != token_keys or len(set(token_keys.values())) != len(ENVIRONMENTS):
            problems.append('demo-token-key does not hold its own material in each environment')
        portal = set(keys['demo-portal'].values())
        if len(portal) != 1 or None in portal:
            problems.append('key demo-portal differs between environments or has no content')
        previous = self.portal_key
        self.portal_key = portal
        if phase == 'rotate' and portal == previous:
            problems.append('key demo-portal was not sent again with its new certificate')
        if phase == 'rerun' and portal != previous:
            problems.append('key demo-portal changed in the rerun')
        return problems

    def file_sha1(self, stem):
        with open(os.path.join(self.pki_dir, stem + '.pem'), 'rb') as handle:
            der = ssl.PEM_cert_to_DER_cert(handle.read().decode('ascii'))
        return hashlib.sha1(der).hexdigest().upper()

    def file_sha256(self, filename):
        with open(os.path.join(self.pki_dir, filename), 'rb') as handle:
            return hashlib.sha256(handle.read()).hexdigest()

    def run(self):
        before = snapshot(self.installed)
        self.pki('create')
        self.phase('deploy')
        self.phase('rerun')
        self.pki('rotate')
        self.phase('rotate')
        if snapshot(self.installed) != before:
            raise DemoFailure('the demo changed files of the installed collection %s' % self.installed)

    def print_summary(self):
        print('\n==> demo summary: project %s on %s' % (self.target.project, self.target.description))
        for result in self.results:
            counts = result['counts']
            writes = result['writes']
            if writes is None:
                sent = 'writes not counted'
            else:
                kinds = sorted(set(writes))
                sent = '%d write(s)%s' % (len(writes), (' (%s)' % ', '.join(
                    '%s%s %s' % (('%dx ' % writes.count(w)) if writes.count(w) > 1 else '', w[0], w[1]) for w in kinds))
                    if writes else '')
            print('%-7s changed=%d  objects: created %d, updated %d, unchanged %d  %s  expiring: %s  (%.1fs)' % (
                result['phase'], result['changed'], counts['created'], counts['updated'], counts['unchanged'], sent,
                ', '.join(result['expiring']) or 'none', result['seconds']))
        if not self.target.emulated:
            print('against a real server the request-log checks are skipped (the writes per phase, what the server holds: '
                  'only the emulator has a request log and a state dump), and so are the exact counts of the first phase')
        work = os.path.relpath(self.work, ROOT) if self.work.startswith(ROOT + os.sep) else self.work
        print('the installed collection is unchanged; the files and logs of this run are in %s' % work)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('collections', help='a directory holding ansible_collections/apinizer/apiops (make build)')
    parser.add_argument('--work-dir', required=True, help='where the certificates, keys and logs go (emptied first)')
    parser.add_argument('--target', choices=('auto', 'emulator'), default='auto',
                        help='auto: the Apinizer of APINIZER_URL when set, else the emulator; emulator: always the emulator')
    args = parser.parse_args()

    collections = os.path.abspath(args.collections)
    if not os.path.isfile(os.path.join(collections, 'ansible_collections', 'apinizer', 'apiops', 'MANIFEST.json')):
        parser.error('%s holds no installed apinizer.apiops (make build installs it into build/collections)' % collections)
    work = os.path.abspath(args.work_dir)
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work, mode=0o700)

    target = Target(args.target)
    demo = Demo(collections, work, target)
    if not target.emulated:
        print('demo against %s (project %s): the emulator-only request-log checks are skipped' % (target.description, target.project))
    try:
        target.start()
        demo.run()
    except (DemoFailure, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        sys.stdout.flush()
        print('demo FAILED: %s (logs in %s)' % (exc, work), file=sys.stderr)
        return 1
    finally:
        target.stop()
    demo.print_summary()
    return 0


if __name__ == '__main__':
    sys.exit(main())
