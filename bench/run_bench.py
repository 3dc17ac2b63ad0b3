# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench: what converging N certificate + private key bundles costs, three ways.

For each N, against the bundled emulator on 127.0.0.1 (project ``bench``, three environments):

- ``role``: the role apinizer.apiops.apinizer_deploy (one apinizer_bundle run for every bundle);
- ``per_object``: a playbook that loops apinizer_certificate and apinizer_key, one module run per object;
- ``uri``: a playbook written after the API reference's curl examples, ansible.builtin.uri once per object.

Each approach runs a first apply (on an empty server), a converged rerun and a check-mode run (``--check``
against the converged server), measuring wall seconds (ansible-playbook start to end), module runs, HTTP
requests and write requests (the emulator's request log, cleared before every run) and the peak RSS of the
module processes (each module runs under GNU time, or a fork/wait4 wrapper, through ansible_python_interpreter).
The role is measured --role-repeats times (median wall time); the two loops grow linearly with N, so they are
measured once up to --loop-max and extrapolated beyond it. The approaches are interleaved for each N so that
their ratios hold on a noisy machine. Writes docs/performance.md and docs/performance.png.

Usage: python bench/run_bench.py --collections build/collections [--work build/bench] [--docs docs]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOKS = os.path.join(ROOT, 'bench', 'playbooks')
CALLBACKS = os.path.join(ROOT, 'bench', 'callback_plugins')
PROJECT = 'bench'
ENVIRONMENTS = ('development', 'production', 'staging')
APPROACHES = ('role', 'per_object', 'uri')
PHASES = ('apply', 'rerun', 'check')
LABELS = {
    'role': 'role apinizer_deploy',
    'per_object': 'per-object loop',
    'uri': 'ansible.builtin.uri',
    'apply': 'first apply',
    'rerun': 'converged rerun',
    'check': 'check mode',
}
RECAP_RE = re.compile(r'^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)', re.M)
PLAYBOOK_TIMEOUT = 900

# The targets of issue 6 (reported, never asserted by make test).
TARGET_RERUN_SECONDS = 5.0
TARGET_RERUN_SPEEDUP = 10.0
TARGET_APPLY_SECONDS = 30.0
TARGET_PEAK_MB = 150.0


def log(message):
    print('[bench %s] %s' % (time.strftime('%H:%M:%S'), message), flush=True)


# --- material ---------------------------------------------------------------------


def make_material(directory, count):
    """count self-signed EC P-256 certificates with their private keys, as PEM files; [(cert, key), ...].
    Made once and kept, so that later runs reuse them."""
    # The collection's test PKI; imported here: only this step needs cryptography on the controller side.
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'emulator'))
    from apinizer_emulator import testcerts  # pylint: disable=import-outside-toplevel,import-error

    os.makedirs(directory, exist_ok=True)
    pairs = []
    for index in range(1, count + 1):
        stem = os.path.join(directory, 'bench-%03d' % index)
        cert_path, key_path = stem + '.pem', stem + '.key'
        if not (os.path.exists(cert_path) and os.path.exists(key_path)):
            issued = testcerts.make_certificate(subject=testcerts.make_name(
                'partner-%03d.bench.example' % index, organization='apinizer.apiops bench'), key_kind='ec', dns_names=[])
            with open(key_path, 'wb') as handle:
                handle.write(issued.key_pem)
            with open(cert_path, 'wb') as handle:
                handle.write(issued.cert_pem)
        pairs.append((cert_path, key_path))
    return pairs


def write_vars(path, pairs, count):
    bundles = [dict(name='bench-%03d' % index, certificate_path=cert, private_key_path=key)
               for index, (cert, key) in enumerate(pairs[:count], 1)]
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(dict(bench_project=PROJECT, bench_environments=list(ENVIRONMENTS), bench_bundles=bundles), handle,
                  indent=1)


def write_wrapper(path, python, rss_file_variable):
    """The interpreter the modules run with: the real one, under GNU time (or a fork/wait4 stand-in), which appends
    the module process's peak RSS in KiB to the file named by $<rss_file_variable>; one line per module run."""
    gnu_time = '/usr/bin/time'
    is_gnu = False
    if os.access(gnu_time, os.X_OK):
        probe = subprocess.run([gnu_time, '--version'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        is_gnu = b'GNU' in probe.stdout
    if is_gnu:
        text = ('#!/bin/sh\n'
                '# make bench: run the module under GNU time, which appends its peak RSS (KiB).\n'
                'exec %s -f "rss %%M %%e" -a -o "$%s" %s "$@"\n' % (gnu_time, rss_file_variable, python))
        kind = 'GNU time'
    else:
        text = ('#!%s -S\n'
                '# make bench: run the module in a child and append its peak RSS (KiB, from wait4).\n'
                'import os, sys, time\n'
                'start = time.monotonic()\n'
                'pid = os.fork()\n'
                'if pid == 0:\n'
                '    os.execv(%r, [%r] + sys.argv[1:])\n'
                '_pid, status, usage = os.wait4(pid, 0)\n'
                'with open(os.environ[%r], "a") as handle:\n'
                '    handle.write("rss %%d %%.2f\\n" %% (usage.ru_maxrss, time.monotonic() - start))\n'
                'sys.exit(os.waitstatus_to_exitcode(status))\n' % (python, python, python, rss_file_variable))
        kind = 'fork/wait4 wrapper'
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    os.chmod(path, 0o755)
    return kind


# --- the emulator -------------------------------------------------------------------


class Emulator:
    """The bundled emulator in its own process on 127.0.0.1, a free port, a new token."""

    def __init__(self, emulator_dir, python, work):
        self.emulator_dir = emulator_dir
        self.python = python
        self.work = work
        self.token = secrets.token_hex(40)
        self.url = None
        self.process = None
        self.log_path = os.path.join(work, 'emulator.log')

    def start(self):
        port_file = os.path.join(self.work, 'emulator.port')
        if os.path.exists(port_file):
            os.remove(port_file)
        env = dict(os.environ, PYTHONPATH=self.emulator_dir + os.pathsep + os.environ.get('PYTHONPATH', ''))
        with open(self.log_path, 'wb') as output:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [self.python, '-m', 'apinizer_emulator', '--host', '127.0.0.1', '--port', '0', '--port-file', port_file,
                 '--token', self.token, '--project', '%s=%s' % (PROJECT, ','.join(ENVIRONMENTS))],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('the emulator exited early; see %s' % self.log_path)
            if os.path.exists(port_file):
                with open(port_file, encoding='ascii') as handle:
                    port = handle.read().strip()
                if port.isdigit():
                    self.url = 'http://127.0.0.1:%s' % port
                    try:
                        self.control('GET', 'health')
                        return self
                    except OSError:
                        pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError('the emulator did not answer within 30 seconds; see %s' % self.log_path)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def control(self, method, path):
        request = urllib.request.Request(self.url + '/_emulator/' + path, method=method)
        if method == 'POST':
            request.add_header('Content-Type', 'application/json')
            request.data = b'{}'
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode('utf-8'))

    def reset(self):
        self.control('POST', 'reset')

    def clear_requests(self):
        self.control('DELETE', 'requests')

    def requests(self):
        return self.control('GET', 'requests')['requests']


# --- runs ---------------------------------------------------------------------------


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.work)
        self.python = os.path.abspath(args.python)
        self.results = []
        self.failures = []
        self.started = time.monotonic()
        os.makedirs(os.path.join(self.work, 'logs'), exist_ok=True)
        os.makedirs(os.path.join(self.work, 'tmp'), exist_ok=True)
        self.rss_file = os.path.join(self.work, 'module-rss.txt')
        self.task_times = os.path.join(self.work, 'task-times.json')
        self.wrapper = os.path.join(self.work, 'python-rss')
        self.wrapper_kind = write_wrapper(self.wrapper, self.python, 'BENCH_RSS_FILE')
        self.config = os.path.join(self.work, 'ansible.cfg')
        with open(self.config, 'w', encoding='utf-8') as handle:
            handle.write('# make bench: Ansible defaults; only temporary files are kept in the work directory.\n'
                         '[defaults]\nlocal_tmp = %s\nremote_tmp = %s\nretry_files_enabled = false\n'
                         % (os.path.join(self.work, 'tmp', 'local'), os.path.join(self.work, 'tmp', 'remote')))
        self.emulator = Emulator(os.path.join(ROOT, 'tests', 'emulator'), self.python, self.work)

    def environment(self):
        env = dict(os.environ)
        for name in list(env):
            if name.startswith('APINIZER_') or name.startswith('ANSIBLE_'):
                del env[name]
        env.update(
            ANSIBLE_CONFIG=self.config,
            ANSIBLE_COLLECTIONS_PATH=os.path.abspath(self.args.collections),
            ANSIBLE_LOCALHOST_WARNING='false',
            ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
            ANSIBLE_NOCOLOR='1',
            ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
            ANSIBLE_CALLBACKS_ENABLED='bench_task_times',
            BENCH_TASK_TIMES=self.task_times,
            APINIZER_URL=self.emulator.url,
            APINIZER_TOKEN=self.emulator.token,
            APINIZER_PROJECT=PROJECT,
            BENCH_RSS_FILE=self.rss_file,
        )
        return env

    def run(self, approach, count, phase, repeat):
        """One ansible-playbook run; returns its record."""
        vars_file = os.path.join(self.work, 'vars-%d.json' % count)
        command = [os.path.join(os.path.dirname(self.python), 'ansible-playbook'),
                   os.path.join(PLAYBOOKS, approach + '.yml'),
                   '-e', '@' + vars_file, '-e', 'ansible_python_interpreter=' + self.wrapper]
        if phase == 'check':
            command.append('--check')
        with open(self.rss_file, 'w', encoding='ascii'):
            pass
        if os.path.exists(self.task_times):
            os.remove(self.task_times)
        self.emulator.clear_requests()
        log_path = os.path.join(self.work, 'logs', '%s-%d-%s-%d.log' % (approach, count, phase, repeat))
        with open(log_path, 'wb') as output:
            start = time.monotonic()
            process = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                     env=self.environment(), cwd=self.work, timeout=PLAYBOOK_TIMEOUT, check=False)
            wall = time.monotonic() - start
        requests = self.emulator.requests()
        with open(self.rss_file, encoding='ascii') as handle:
            modules = [line.split()[1:3] for line in handle if line.startswith('rss ')]
        rss = [int(fields[0]) for fields in modules]
        module_seconds = sum(float(fields[1]) for fields in modules if len(fields) > 1)
        with open(log_path, encoding='utf-8', errors='replace') as handle:
            output_text = handle.read()
        recap = RECAP_RE.search(output_text)
        tasks = []
        if os.path.exists(self.task_times):
            with open(self.task_times, encoding='utf-8') as handle:
                tasks = json.load(handle)
        record = dict(approach=approach, n=count, phase=phase, repeat=repeat, wall=wall, rc=process.returncode,
                      module_runs=len(rss), requests=len(requests), writes=sum(1 for r in requests if r['write']),
                      errors=sum(1 for r in requests if (r['status'] or 0) >= 400),
                      peak_rss_kb=max(rss) if rss else None, module_seconds=module_seconds,
                      changed=int(recap.group(2)) if recap else None, extrapolated=False, log=log_path, tasks=tasks)
        self.results.append(record)
        log('%-10s N=%-3d %-5s #%d  %7.2f s (modules %6.2f s)  %4d module runs  %4d requests  %4d writes  peak %s MB%s'
            % (approach, count, phase, repeat, wall, module_seconds, record['module_runs'], record['requests'], record['writes'],
               '%.0f' % (record['peak_rss_kb'] / 1024.0) if record['peak_rss_kb'] else '-',
               '' if process.returncode == 0 else '  FAILED (rc %d, %s)' % (process.returncode, log_path)))
        if process.returncode != 0:
            self.failures.append(record)
        return record

    def sequence(self, approach, count, repeat):
        """First apply on an empty server, converged rerun, check mode."""
        self.emulator.reset()
        for phase in PHASES:
            self.run(approach, count, phase, repeat)

    def measure(self):
        pairs = make_material(os.path.join(self.work, 'material'), max(self.args.sizes))
        for count in self.args.sizes:
            write_vars(os.path.join(self.work, 'vars-%d.json' % count), pairs, count)
        self.emulator.start()
        log('emulator at %s; modules run with %s (%s)' % (self.emulator.url, self.python, self.wrapper_kind))
        try:
            for count in self.args.sizes:
                # Interleaved: role, per-object, role, uri, role, ...
                loops = [a for a in ('per_object', 'uri') if count <= self.args.loop_max and a in self.args.approaches]
                for repeat in range(1, self.args.role_repeats + 1):
                    if 'role' in self.args.approaches:
                        self.sequence('role', count, repeat)
                    if repeat <= len(loops):
                        self.sequence(loops[repeat - 1], count, 1)
                for approach in loops[self.args.role_repeats:]:
                    self.sequence(approach, count, 1)
        finally:
            self.emulator.stop()
        self.extrapolate()

    def extrapolate(self):
        """Loops beyond --loop-max: linear through the two largest sizes measured (module runs, requests and time
        all grow by a fixed amount per bundle); peak memory does not depend on N (one small process per object)."""
        for approach in ('per_object', 'uri'):
            measured = sorted(set(r['n'] for r in self.results if r['approach'] == approach))
            if len(measured) < 2:
                continue
            low, high = measured[-2], measured[-1]
            for count in [c for c in self.args.sizes if c > high]:
                for phase in PHASES:
                    a, b = self.pick(approach, low, phase), self.pick(approach, high, phase)
                    factor = float(count - high) / (high - low)
                    record = dict(approach=approach, n=count, phase=phase, repeat=0, rc=0, extrapolated=True,
                                  peak_rss_kb=max(a['peak_rss_kb'] or 0, b['peak_rss_kb'] or 0) or None, log=None,
                                  changed=None, tasks=[])
                    for field in ('wall', 'module_seconds', 'module_runs', 'requests', 'writes', 'errors'):
                        value = b[field] + (b[field] - a[field]) * factor
                        record[field] = value if field in ('wall', 'module_seconds') else int(round(value))
                    self.results.append(record)

    def pick(self, approach, count, phase):
        """The figures of one cell: the median wall time of the repeats, the highest peak memory, the counts of the
        repeat with the median time (they do not vary between repeats)."""
        runs = [r for r in self.results if (r['approach'], r['n'], r['phase']) == (approach, count, phase)]
        if not runs:
            return None
        ordered = sorted(runs, key=lambda r: r['wall'])
        chosen = dict(ordered[(len(ordered) - 1) // 2])
        chosen['wall'] = statistics.median(r['wall'] for r in runs)
        chosen['walls'] = [r['wall'] for r in runs]
        peaks = [r['peak_rss_kb'] for r in runs if r['peak_rss_kb']]
        chosen['peak_rss_kb'] = max(peaks) if peaks else None
        for field in ('module_runs', 'requests', 'writes'):
            values = sorted(set(r[field] for r in runs))
            chosen[field + '_range'] = values
        return chosen


# --- the machine ----------------------------------------------------------------------


def read_text(path):
    try:
        with open(path, encoding='utf-8') as handle:
            return handle.read()
    except OSError:
        return ''


def command_output(command):
    try:
        return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False,
                              timeout=60).stdout.decode('utf-8', 'replace')
    except (OSError, subprocess.TimeoutExpired):
        return ''


def machine(python):
    cpuinfo = read_text('/proc/cpuinfo')
    model = re.search(r'^model name\s*:\s*(.+)$', cpuinfo, re.M)
    memory = re.search(r'^MemTotal:\s*(\d+) kB', read_text('/proc/meminfo'), re.M)
    versions = command_output([python, '-c', (
        'import sys, ansible.release, cryptography, requests, flask, werkzeug\n'
        'print(sys.version.split()[0], ansible.release.__version__, cryptography.__version__, requests.__version__, '
        'flask.__version__ if hasattr(flask, "__version__") else "?", werkzeug.__version__ if hasattr(werkzeug, '
        '"__version__") else "?")')]).split() or ['?'] * 6
    try:
        from importlib.metadata import version  # pylint: disable=import-outside-toplevel
        flask_version, werkzeug_version = version('flask'), version('werkzeug')
    except Exception:  # pylint: disable=broad-except
        flask_version, werkzeug_version = versions[4], versions[5]
    return dict(
        cpu=model.group(1).strip() if model else platform.processor() or '?',
        cores=os.cpu_count(),
        usable_cores=len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count(),
        memory_gb=int(memory.group(1)) / 1024.0 / 1024.0 if memory else None,
        system='%s %s' % (platform.system(), platform.release()),
        python=versions[0], ansible_core=versions[1], cryptography=versions[2], requests=versions[3],
        flask=flask_version, werkzeug=werkzeug_version,
        load=read_text('/proc/loadavg').split()[:3],
    )


# --- the report -----------------------------------------------------------------------


def seconds(value, extrapolated=False):
    text = '%.2f' % value if value < 10 else '%.1f' % value if value < 100 else '%.0f' % value
    return ('~%s*' % text) if extrapolated else text


def count_text(record, field):
    if record['extrapolated']:
        return '~%d*' % record[field]
    values = record.get(field + '_range') or [record[field]]
    return '%d' % values[0] if len(values) == 1 else '%d-%d' % (values[0], values[-1])


def ratio(numerator, denominator):
    if not numerator or not denominator:
        return '-'
    return '%.1fx' % (numerator['wall'] / denominator['wall'])


def megabytes(record):
    if not record['peak_rss_kb']:
        return '-'
    text = '%.0f' % (record['peak_rss_kb'] / 1024.0)
    return ('~%s*' % text) if record['extrapolated'] else text


class Report:
    def __init__(self, bench, info, total_seconds):
        self.bench = bench
        self.args = bench.args
        self.info = info
        self.total_seconds = total_seconds

    def cell(self, approach, count, phase):
        return self.bench.pick(approach, count, phase)

    def table(self):
        lines = ['| N | approach | run | wall s | module s | module runs | HTTP requests | write requests |'
                 ' peak module RSS MB | changed tasks |',
                 '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|']
        for count in self.args.sizes:
            for approach in APPROACHES:
                for phase in PHASES:
                    record = self.cell(approach, count, phase)
                    if not record:
                        continue
                    wall = seconds(record['wall'], record['extrapolated'])
                    if approach == 'role' and len(record.get('walls', [])) > 1:
                        wall += ' (%s)' % ', '.join('%.2f' % w for w in sorted(record['walls']))
                    changed = '-' if record['changed'] is None else str(record['changed'])
                    if approach == 'uri' and phase == 'rerun':
                        changed += ' (not idempotent: %d refused creates)' % record['errors'] if not record[
                            'extrapolated'] else ' (not idempotent)'
                    if approach == 'uri' and phase == 'check':
                        changed += ' (uri has no check mode: skipped)'
                    lines.append('| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                        count, LABELS[approach], LABELS[phase], wall,
                        seconds(record['module_seconds'], record['extrapolated']), count_text(record, 'module_runs'),
                        count_text(record, 'requests'), count_text(record, 'writes'), megabytes(record), changed))
        return '\n'.join(lines)

    def ratio_table(self):
        lines = ['| N | run | role s | per-object s | uri s | per-object / role | uri / role | per-object / uri |',
                 '|---:|---|---:|---:|---:|---:|---:|---:|']
        for count in self.args.sizes:
            for phase in PHASES:
                role, loop, uri = (self.cell(a, count, phase) for a in APPROACHES)
                extrapolated = any(r and r['extrapolated'] for r in (loop, uri))
                mark = '*' if extrapolated else ''
                lines.append('| %d | %s | %s | %s | %s | %s%s | %s%s | %s%s |' % (
                    count, LABELS[phase],
                    seconds(role['wall']) if role else '-',
                    seconds(loop['wall'], loop['extrapolated']) if loop else '-',
                    seconds(uri['wall'], uri['extrapolated']) if uri else '-',
                    ratio(loop, role), mark if loop else '', ratio(uri, role), mark if uri else '',
                    ratio(loop, uri), mark if loop and uri else ''))
        return '\n'.join(lines)

    def targets(self):
        """[(target, figure, met)] for the targets of issue 6."""
        rows = []
        sizes = self.args.sizes
        if 100 in sizes:
            role, loop = self.cell('role', 100, 'rerun'), self.cell('per_object', 100, 'rerun')
            if role:
                rows.append(('converged rerun, N=100, role: no write request', '%d write requests' % role['writes'],
                             role['writes'] == 0))
                rows.append(('converged rerun, N=100, role: under %.0f s' % TARGET_RERUN_SECONDS,
                             '%.2f s (median of %d)' % (role['wall'], len(role['walls'])),
                             role['wall'] < TARGET_RERUN_SECONDS))
            if role and loop:
                speedup = loop['wall'] / role['wall']
                rows.append(('converged rerun, N=100: role at least %.0fx faster than the per-object loop'
                             % TARGET_RERUN_SPEEDUP, '%.1fx (%.1f s / %.2f s)' % (speedup, loop['wall'], role['wall']),
                             speedup >= TARGET_RERUN_SPEEDUP))
        reruns = [(c, self.cell('role', c, 'rerun')) for c in sizes]
        reruns = [(c, r) for c, r in reruns if r]
        if reruns:
            # One key per bundle: the requests beyond N must not grow with N.
            extras = [r['requests'] - c for c, r in reruns]
            rows.append(('converged rerun, role: requests grow no faster than one per key plus a constant',
                         ', '.join('N=%d: %d' % (c, r['requests']) for c, r in reruns)
                         + ' (requests minus N: %s)' % ', '.join(str(x) for x in extras), max(extras) <= extras[0]))
        if 300 in sizes:
            apply_ = self.cell('role', 300, 'apply')
            if apply_:
                rows.append(('first apply, N=300, role: under %.0f s' % TARGET_APPLY_SECONDS,
                             '%.1f s (median of %d)' % (apply_['wall'], len(apply_['walls'])),
                             apply_['wall'] < TARGET_APPLY_SECONDS))
                peak = max((self.cell('role', 300, p) or {}).get('peak_rss_kb') or 0 for p in PHASES) / 1024.0
                rows.append(('peak memory of the module process, N=300, role: under %.0f MB' % TARGET_PEAK_MB,
                             '%.0f MB' % peak, peak < TARGET_PEAK_MB))
        return rows

    def markdown(self):
        info = self.info
        targets = self.targets()
        largest = max(self.args.sizes)
        text = [
            '# Performance: converging N bundles',
            '',
            '<!-- Generated by `make bench` (bench/run_bench.py); do not edit by hand. -->',
            '',
            'What it costs to keep N bundles -- each a certificate and its private key, deployed to %d environments'
            % len(ENVIRONMENTS),
            '-- in an Apinizer project, three ways, against the bundled emulator on 127.0.0.1:',
            '',
            '- **role apinizer_deploy**: the role `apinizer.apiops.apinizer_deploy`, one `apinizer_bundle` run for all'
            ' bundles (`bench/playbooks/role.yml`);',
            '- **per-object loop**: a playbook that loops `apinizer.apiops.apinizer_certificate` and'
            ' `apinizer.apiops.apinizer_key`, one module run per object (`bench/playbooks/per_object.yml`);',
            '- **ansible.builtin.uri**: a playbook written the way the API reference\'s curl examples suggest,'
            ' `ansible.builtin.uri` once per object, multipart POST for a certificate and JSON POST for a key'
            ' (`bench/playbooks/uri.yml`). It never reads, so it is **not idempotent**: a rerun sends every create'
            ' again, the server refuses each with 400 "is already exist!" (the playbook accepts 400 so as not to'
            ' fail), and a changed certificate would never be replaced. `uri` does not support check mode: with'
            ' `--check` Ansible skips its tasks without running the module, so it predicts nothing.',
            '',
            'Runs, for each N: **first apply** on an empty server, **converged rerun** (nothing to do), **check mode**'
            ' (`--check` against the converged server: the drift check a pipeline runs). The emulator is reset before'
            ' each first apply.',
            '',
            '## Results',
            '',
            self.table(),
            '',
            '- *wall s*: seconds from the start to the end of `ansible-playbook`. For the role, the median of %d runs'
            ' (all runs in parentheses).' % self.args.role_repeats,
            '- *module s*: seconds spent inside module processes, added up (the rest of *wall s* is Ansible itself:'
            ' start-up, templating, task and result handling).',
            '- `~...*`: **extrapolated**, not measured: the loops were measured up to N=%d and grow linearly (a fixed'
            ' number of module runs and requests per bundle), so N=%d is a straight line through the two largest'
            ' measured sizes; their peak memory does not depend on N (each object is its own small module run).'
            % (self.args.loop_max, largest),
            '- *module runs*: module processes started (one per module run; counted by the interpreter wrapper).',
            '- *HTTP requests*, *write requests*: from the emulator\'s request log, cleared before every run (writes:'
            ' POST, PUT, DELETE).',
            '- *peak module RSS MB*: the largest maximum resident set size of any module process in the run (%s'
            ' around the interpreter, set as `ansible_python_interpreter`).' % self.bench.wrapper_kind,
            '- *changed tasks*: `changed=` of the play recap (the role reports one task; the loops count a loop'
            ' task once).',
            '',
            '## Ratios',
            '',
            'Wall time of each approach against the role, from the same invocation (the approaches ran interleaved'
            ' for each N). `*`: involves an extrapolated figure. The `uri` playbook does nothing in check mode (its'
            ' tasks are skipped), so its check-mode figures measure nothing but Ansible.',
            '',
            self.ratio_table(),
            '',
            '![Wall time against N for the three approaches](performance.png)',
            '',
            '## Targets',
            '',
            '| target | measured | |',
            '|---|---|---|',
        ]
        text.extend('| %s | %s | %s |' % (name, figure, 'met' if met else '**missed**') for name, figure, met in targets)
        text.extend([
            '',
            '## Where the time goes',
            '',
            'The role is fast because it starts one module for all bundles instead of two per bundle, and reads one'
            ' certificate list, one key list and the environments once for all bundles instead of one read per'
            ' object. A converged rerun sends no write. Certificates are compared from the list by thumbprint; the'
            ' key list names environments by id only, so a key is read once more by name -- but only until its set'
            ' of environment ids is known: later keys with the same set and one alias are settled from the list.'
            ' That is why the converged rerun needs the same few requests for any N.%s' % self.cost_text(),
            '',
        ] + self.breakdown() + [
            '',
            '## Machine',
            '',
            '| | |',
            '|---|---|',
            '| CPU | %s |' % info['cpu'],
            '| cores | %s (usable: %s) |' % (info['cores'], info['usable_cores']),
            '| memory | %s |' % ('%.1f GiB' % info['memory_gb'] if info['memory_gb'] else '?'),
            '| system | %s |' % info['system'],
            '| Python | %s |' % info['python'],
            '| ansible-core | %s |' % info['ansible_core'],
            '| cryptography, requests | %s, %s |' % (info['cryptography'], info['requests']),
            '| emulator | Flask %s, werkzeug %s (threaded), same machine |' % (info['flask'], info['werkzeug']),
            '| load average (1, 5, 15 min) before and after | %s; %s |'
            % (' '.join(info['load']), ' '.join(info.get('load_after', []))),
            '| run | %s, `make bench` took %.1f minutes |' % (info['date'], self.total_seconds / 60.0),
            '',
            'Ansible runs with its defaults (linear strategy, no pipelining, local connection to the implicit'
            ' localhost); the module interpreter is the Python of `.venv`.',
            '',
            '## Reproduce',
            '',
            '```console',
            '$ make bench',
            '```',
            '',
            '`make bench` builds and installs the collection (as `make build`), installs `bench/requirements.txt`'
            ' (matplotlib) into `.venv`, then runs',
            '`python bench/run_bench.py --collections build/collections --work build/bench --docs docs`, which starts'
            ' the emulator, makes %d EC certificates and keys once (in `build/bench/material`), runs the playbooks of'
            ' `bench/playbooks/`, and writes this file and `docs/performance.png`. Each playbook\'s output is kept in'
            ' `build/bench/logs/`. Options: `--sizes 1,10,100,300`, `--role-repeats 3`, `--loop-max 100`'
            ' (`python bench/run_bench.py --help`). `make bench` is not part of `make test`, and nothing asserts'
            ' timings.' % largest,
            '',
            'To see where the module process spends its time: `pip install pyinstrument`, then `python'
            ' bench/run_bench.py --collections build/collections --profile --sizes 300` runs the role\'s first'
            ' apply and converged rerun with the module process under pyinstrument and writes its reports to'
            ' `build/bench/profiles/`. For the whole play, `py-spy record -o play.svg -- ansible-playbook ...`.',
            '',
        ])
        return '\n'.join(text)

    def per_module_cost(self):
        """(wall seconds, module process seconds) each further module run adds to the per-object loop's rerun, or
        None."""
        measured = [self.cell('per_object', c, 'rerun') for c in self.args.sizes]
        measured = [r for r in measured if r and not r['extrapolated']]
        if len(measured) < 2 or measured[-1]['module_runs'] == measured[0]['module_runs']:
            return None
        low, high = measured[0], measured[-1]
        runs = float(high['module_runs'] - low['module_runs'])
        return (high['wall'] - low['wall']) / runs, (high['module_seconds'] - low['module_seconds']) / runs

    def cost_text(self):
        cost = self.per_module_cost()
        if not cost:
            return ''
        return (' Each module run of the per-object loop adds %.2f s to the play, %.2f s of it inside the module'
                ' process (interpreter start, AnsiballZ, importing ansible, requests and cryptography; a read is a'
                ' few milliseconds of that).' % cost)

    def breakdown(self):
        """Where the role's time goes at the largest N: seconds per task for each run, and the rest."""
        count = max(self.args.sizes)
        cells = [self.cell('role', count, phase) for phase in PHASES]
        if not all(cells) or not all(c['tasks'] for c in cells):
            return []
        prefix = re.compile(r'^apinizer\.apiops\.apinizer_deploy : ')
        names = []
        for cell in cells:
            for name, _seconds in cell['tasks']:
                if name not in names:
                    names.append(name)
        lines = ['| N=%d, role: task | %s |' % (count, ' | '.join(LABELS[p] + ' s' for p in PHASES)),
                 '|---|%s' % ('---:|' * len(PHASES))]
        for name in names:
            values = [sum(t for n, t in cell['tasks'] if n == name) for cell in cells]
            lines.append('| %s | %s |' % (prefix.sub('', name).split(' - ')[0].replace('|', '/'),
                                          ' | '.join('%.2f' % v for v in values)))
        lines.append('| (of all these: inside the module process) | %s |'
                     % ' | '.join('%.2f' % c['module_seconds'] for c in cells))
        lines.append('| Ansible start-up, parsing and exit (outside any task) | %s |' % ' | '.join(
            '%.2f' % (c['wall'] - sum(t for _n, t in c['tasks'])) for c in cells))
        lines.append('| **wall** | %s |' % ' | '.join('**%.2f**' % c['wall'] for c in cells))
        slowest = max(((name, sum(t for n, t in cells[1]['tasks'] if n == name)) for name in names),
                      key=lambda item: item[1])
        return lines + ['', 'Largest share of the converged rerun at N=%d: the task "%s", %.2f s of %.2f s.'
                        % (count, prefix.sub('', slowest[0]), slowest[1], cells[1]['wall'])]

    def plot(self, path):
        import matplotlib  # pylint: disable=import-outside-toplevel
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

        figure, axes = plt.subplots(1, len(PHASES), figsize=(13, 4.2), sharey=True)
        styles = {'role': ('tab:green', 'o'), 'per_object': ('tab:orange', 's'), 'uri': ('tab:blue', '^')}
        for axis, phase in zip(axes, PHASES):
            for approach in APPROACHES:
                cells = [self.cell(approach, c, phase) for c in self.args.sizes]
                cells = [c for c in cells if c]
                measured = [c for c in cells if not c['extrapolated']]
                guessed = [c for c in cells if c['extrapolated']]
                colour, marker = styles[approach]
                skipped = approach == 'uri' and phase == 'check'
                axis.plot([c['n'] for c in measured], [c['wall'] for c in measured], color=colour, marker=marker,
                          label=LABELS[approach] + (' (no check mode: skipped)' if skipped else ''),
                          linestyle=':' if skipped else '-')
                if guessed and measured:
                    # The line starts at the last measured point, which keeps its filled marker.
                    axis.plot([measured[-1]['n']] + [c['n'] for c in guessed],
                              [measured[-1]['wall']] + [c['wall'] for c in guessed], color=colour, marker=marker,
                              linestyle='--', markerfacecolor='white', markevery=list(range(1, len(guessed) + 1)))
            axis.set_xscale('log')
            axis.set_yscale('log')
            axis.set_xticks(list(self.args.sizes))
            axis.set_xticklabels([str(c) for c in self.args.sizes])
            axis.set_title(LABELS[phase])
            axis.set_xlabel('bundles (N)')
            axis.grid(True, which='both', alpha=0.3)
        axes[0].set_ylabel('wall seconds (log)')
        for axis in axes:
            axis.legend(loc='upper left', fontsize='x-small')
        figure.suptitle('apinizer.apiops: wall time against N (%d environments; dashed, hollow: extrapolated)'
                        % len(ENVIRONMENTS), fontsize='medium')
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)


# --- profiling ------------------------------------------------------------------------


def profile(bench):
    """Run the role once per size (first apply, then rerun) with the module process under pyinstrument, whose text
    report goes to a file (py-spy record would print to the module's stdout, which Ansible reads as the result)."""
    out = os.path.join(bench.work, 'profiles')
    os.makedirs(out, exist_ok=True)
    wrapper = os.path.join(bench.work, 'python-profile')
    with open(wrapper, 'w', encoding='utf-8') as handle:
        handle.write('#!/bin/sh\nexec %s -m pyinstrument --renderer text --show-all -o "$BENCH_PROFILE" "$@"\n'
                     % bench.python)
    os.chmod(wrapper, 0o755)
    bench.wrapper = wrapper
    pairs = make_material(os.path.join(bench.work, 'material'), max(bench.args.sizes))
    bench.emulator.start()
    try:
        for count in bench.args.sizes:
            write_vars(os.path.join(bench.work, 'vars-%d.json' % count), pairs, count)
            bench.emulator.reset()
            for phase in ('apply', 'rerun'):
                target = os.path.join(out, 'role-%d-%s.txt' % (count, phase))
                os.environ['BENCH_PROFILE'] = target
                bench.run('role', count, phase, 1)
                log('profile: %s' % target)
    finally:
        bench.emulator.stop()


# --- main -----------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--collections', required=True, help='where apinizer.apiops is installed (make build)')
    parser.add_argument('--work', default=os.path.join(ROOT, 'build', 'bench'), help='work directory')
    parser.add_argument('--docs', default=os.path.join(ROOT, 'docs'),
                        help='where performance.md and performance.png go')
    parser.add_argument('--python', default=sys.executable, help='the Python the modules and the emulator run with')
    parser.add_argument('--sizes', default='1,10,100,300', help='numbers of bundles (default: 1,10,100,300)')
    parser.add_argument('--role-repeats', type=int, default=3, help='runs of the role per size (median; default 3)')
    parser.add_argument('--loop-max', type=int, default=100,
                        help='largest N measured for the two loops; beyond, extrapolated (default 100)')
    parser.add_argument('--approaches', default=','.join(APPROACHES),
                        help='which approaches to run (default: %s)' % ','.join(APPROACHES))
    parser.add_argument('--profile', action='store_true',
                        help='instead of the benchmark: profile the module process of the role (first apply, rerun) '
                        'with pyinstrument (pip install pyinstrument)')
    args = parser.parse_args(argv)
    args.approaches = [a.strip() for a in args.approaches.split(',') if a.strip()]
    if set(args.approaches) - set(APPROACHES):
        parser.error('--approaches takes %s' % ', '.join(APPROACHES))
    args.sizes = sorted(set(int(size) for size in args.sizes.split(',') if size.strip()))
    if not args.sizes or args.sizes[0] < 1 or args.role_repeats < 1:
        parser.error('--sizes needs positive numbers and --role-repeats at least 1')
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    bench = Bench(args)
    if args.profile:
        profile(bench)
        return 1 if bench.failures else 0
    info = machine(bench.python)
    info['date'] = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    bench.measure()
    total = time.monotonic() - bench.started
    info['load_after'] = read_text('/proc/loadavg').split()[:3]
    report = Report(bench, info, total)
    os.makedirs(args.docs, exist_ok=True)
    report.plot(os.path.join(args.docs, 'performance.png'))
    with open(os.path.join(args.docs, 'performance.md'), 'w', encoding='utf-8') as handle:
        handle.write(report.markdown())
    with open(os.path.join(bench.work, 'results.json'), 'w', encoding='utf-8') as handle:
        json.dump(dict(machine=info, results=bench.results, seconds=total), handle, indent=1)
    log('wrote %s and %s in %.1f minutes'
        % (os.path.join(args.docs, 'performance.md'), os.path.join(args.docs, 'performance.png'), total / 60.0))
    for name, figure, met in report.targets():
        log('target %-6s %s: %s' % ('met' if met else 'MISSED', name, figure))
    if bench.failures:
        log('%d playbook run(s) failed: %s' % (len(bench.failures), ', '.join(r['log'] for r in bench.failures)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
