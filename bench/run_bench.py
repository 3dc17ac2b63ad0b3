# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench: what converging N certificate + private key bundles costs: key types, a slow server, parallel writes.

Against the bundled emulator on 127.0.0.1 (project ``bench``, three environments, HTTP/1.1 keep-alive), each
bundle a certificate and its own private key:

- keys: the role apinizer.apiops.apinizer_deploy (one apinizer_bundle run for all bundles) with RSA-2048 keys
  (the default) and RSA-4096 (the API holds RSA keys only: an EC private key is refused before any request), for
  N = --sizes: first apply (empty server), converged rerun, check mode
  (``--check`` against the converged server), --repeats times each (median);
- loops: beside the role, with RSA-2048 keys, a playbook that loops apinizer_certificate and apinizer_key (one
  module run per object) and one written after the API reference's curl examples (ansible.builtin.uri once per
  object); measured up to --loop-max and extrapolated beyond (they grow linearly with N);
- latency: the role's first apply with RSA-2048 keys when every write takes --latencies milliseconds (the
  emulator's latency fault on WRITE, as a real server deploys each write to its environments), for each
  ``parallel`` of --parallels and N of --parallel-sizes. A run expected to take longer than --max-run seconds
  (2 writes per bundle x latency / parallel) is not measured but extrapolated from the two largest N measured
  for the same latency and parallel.

Measured: wall seconds (ansible-playbook start to end), module runs, HTTP requests and write requests and the
most writes the server had in progress at once (the emulator's request log, cleared before every run), the peak
RSS of the module processes (each module runs under GNU time, or a fork/wait4 wrapper, through
ansible_python_interpreter). Everything runs interleaved by N, so that ratios hold on a shared machine. Writes
docs/performance.md and docs/performance.png from this one run; build/bench/results.json keeps every figure.

Usage: python bench/run_bench.py --collections build/collections [--work build/bench] [--docs docs]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOKS = os.path.join(ROOT, 'bench', 'playbooks')
CALLBACKS = os.path.join(ROOT, 'bench', 'callback_plugins')
ROLE_DEFAULTS = os.path.join(ROOT, 'roles', 'apinizer_deploy', 'defaults', 'main.yml')
# The emulator's package (its server runs as a process; this script imports its test PKI and output helpers).
sys.path.insert(0, os.path.join(ROOT, 'tests', 'emulator'))
PROJECT = 'bench'
ENVIRONMENTS = ('development', 'production', 'staging')
APPROACHES = ('role', 'per_object', 'uri')
LOOPS = ('per_object', 'uri')
PHASES = ('apply', 'rerun', 'check')
KEY_KINDS = ('rsa2048', 'rsa4096')
DEFAULT_KIND = 'rsa2048'
LABELS = {
    'role': 'role apinizer_deploy',
    'per_object': 'per-object loop',
    'uri': 'ansible.builtin.uri',
    'apply': 'first apply',
    'rerun': 'converged rerun',
    'check': 'check mode',
    'rsa2048': 'RSA-2048',
    'rsa4096': 'RSA-4096',
}
WRITES_PER_BUNDLE = 2  # a certificate and its key
PLAYBOOK_TIMEOUT = 900


def log(message):
    print('[bench %s] %s' % (time.strftime('%H:%M:%S'), message), flush=True)


def role_default_parallel():
    """apinizer_deploy_parallel from the role's defaults, so that the report names the default in force."""
    with open(ROLE_DEFAULTS, encoding='utf-8') as handle:
        found = re.search(r'^apinizer_deploy_parallel:\s*(\d+)\s*$', handle.read(), re.M)
    return int(found.group(1)) if found else None


# --- material ---------------------------------------------------------------------


def new_key(kind):
    from apinizer_emulator import testcerts  # pylint: disable=import-outside-toplevel,import-error
    return testcerts.new_key('rsa', bits=4096 if kind == 'rsa4096' else 2048)


def make_material(directory, kind, count):
    """count self-signed certificates, each with its own private key of kind, as PEM files; [(cert, key), ...].
    Made once and kept (in directory/kind), so that later runs reuse them."""
    # The collection's test PKI; imported here: only this step needs cryptography on the controller side.
    from apinizer_emulator import testcerts  # pylint: disable=import-outside-toplevel,import-error

    directory = os.path.join(directory, kind)
    os.makedirs(directory, exist_ok=True)
    pairs, made, started = [], 0, time.monotonic()
    for index in range(1, count + 1):
        stem = os.path.join(directory, 'bench-%04d' % index)
        cert_path, key_path = stem + '.pem', stem + '.key'
        if not (os.path.exists(cert_path) and os.path.exists(key_path)):
            issued = testcerts.make_certificate(subject=testcerts.make_name(
                'partner-%04d.bench.example' % index, organization='apinizer.apiops bench'), key=new_key(kind),
                dns_names=[])
            with open(key_path, 'wb') as handle:
                handle.write(issued.key_pem)
            with open(cert_path, 'wb') as handle:
                handle.write(issued.cert_pem)
            made += 1
        pairs.append((cert_path, key_path))
    if made:
        log('made %d %s certificates and keys in %.0f s' % (made, LABELS[kind], time.monotonic() - started))
    return pairs


def write_vars(path, pairs, count):
    bundles = [dict(name='bench-%04d' % index, certificate_path=cert, private_key_path=key)
               for index, (cert, key) in enumerate(pairs[:count], 1)]
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(dict(bench_project=PROJECT, bench_environments=list(ENVIRONMENTS), bench_bundles=bundles), handle,
                  indent=1)


def parse_time(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%fZ').timestamp()


def most_in_flight(entries):
    """The most write requests the server had in progress at the same moment (arrival time + duration)."""
    events = []
    for entry in entries:
        if entry['write'] and entry.get('time') and entry.get('duration_ms') is not None:
            start = parse_time(entry['time'])
            events.append((start, 1))
            events.append((start + entry['duration_ms'] / 1000.0, -1))
    events.sort()
    current = peak = 0
    for _moment, step in events:
        current += step
        peak = max(peak, current)
    return peak


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

    def cpu_seconds(self):
        """User + system CPU seconds the emulator process has used so far (0 where /proc cannot tell)."""
        try:
            with open('/proc/%d/stat' % self.process.pid, encoding='ascii') as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / float(os.sysconf('SC_CLK_TCK'))
        except (OSError, ValueError, IndexError, AttributeError):
            return 0.0

    def control(self, method, path, body=None):
        request = urllib.request.Request(self.url + '/_emulator/' + path, method=method)
        if method == 'POST':
            request.add_header('Content-Type', 'application/json')
            request.data = json.dumps(body or {}).encode('utf-8')
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode('utf-8'))

    def reset(self, latency_ms=0):
        """Empty server, no fault; with latency_ms, every write (POST, PUT, DELETE) then takes that long."""
        self.control('POST', 'reset')
        if latency_ms:
            self.control('POST', 'faults', dict(kind='latency', method='WRITE', seconds=latency_ms / 1000.0, count=None))

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
        self.default_parallel = role_default_parallel()
        self.results = []
        self.failures = []
        self.started = time.monotonic()
        self.material_seconds = 0.0
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

    def vars_file(self, kind, count):
        return os.path.join(self.work, 'vars-%s-%d.json' % (kind, count))

    def run(self, approach, kind, count, phase, repeat, latency=0, parallel=None, section='keys'):
        """One ansible-playbook run; returns its record. parallel None: the role's default (not passed)."""
        command = [os.path.join(os.path.dirname(self.python), 'ansible-playbook'),
                   os.path.join(PLAYBOOKS, approach + '.yml'),
                   '-e', '@' + self.vars_file(kind, count), '-e', 'ansible_python_interpreter=' + self.wrapper]
        if parallel is not None:
            command += ['-e', 'apinizer_deploy_parallel=%d' % parallel]
        if phase == 'check':
            command.append('--check')
        with open(self.rss_file, 'w', encoding='ascii'):
            pass
        if os.path.exists(self.task_times):
            os.remove(self.task_times)
        self.emulator.clear_requests()
        log_path = os.path.join(self.work, 'logs', '%s-%s-%d-%s-%dms-p%s-%d.log' % (
            approach, kind, count, phase, latency, parallel or 'default', repeat))
        with open(log_path, 'wb') as output:
            before, emulator_before = resource.getrusage(resource.RUSAGE_CHILDREN), self.emulator.cpu_seconds()
            start = time.monotonic()
            process = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                     env=self.environment(), cwd=self.work, timeout=PLAYBOOK_TIMEOUT, check=False)
            wall = time.monotonic() - start
            after, emulator_after = resource.getrusage(resource.RUSAGE_CHILDREN), self.emulator.cpu_seconds()
        # CPU seconds of ansible-playbook and every process under it (the modules), and of the emulator: what the
        # run costs whatever else the machine is doing at the time.
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        requests = self.emulator.requests()
        with open(self.rss_file, encoding='ascii') as handle:
            modules = [line.split()[1:3] for line in handle if line.startswith('rss ')]
        rss = [int(fields[0]) for fields in modules]
        module_seconds = sum(float(fields[1]) for fields in modules if len(fields) > 1)
        with open(log_path, encoding='utf-8', errors='replace') as handle:
            output_text = handle.read()
        from apinizer_emulator.playbook import recap  # pylint: disable=import-outside-toplevel,import-error
        try:
            changed = recap(output_text)['changed']
        except ValueError:
            changed = None
        tasks = []
        if os.path.exists(self.task_times):
            with open(self.task_times, encoding='utf-8') as handle:
                tasks = json.load(handle)
        record = dict(section=section, approach=approach, kind=kind, n=count, phase=phase, latency=latency,
                      parallel=parallel if parallel is not None else (self.default_parallel if approach == 'role' else None),
                      repeat=repeat, wall=wall, rc=process.returncode, cpu=cpu,
                      emulator_cpu=emulator_after - emulator_before,
                      module_runs=len(rss), requests=len(requests), writes=sum(1 for r in requests if r['write']),
                      errors=sum(1 for r in requests if (r['status'] or 0) >= 400),
                      connections=len(set(r.get('connection') for r in requests)),
                      in_flight=most_in_flight(requests),
                      peak_rss_kb=max(rss) if rss else None, module_seconds=module_seconds,
                      changed=changed, extrapolated=False, log=log_path, tasks=tasks)
        self.results.append(record)
        self.save_partial()
        log('%-10s %-7s N=%-4d %-5s %3d ms p%-2s #%d %7.2f s (cpu %6.2f s, emulator %5.2f s) %4d runs %5d requests %5d writes '
            '%2d in flight %4d conns  peak %s MB%s'
            % (approach, kind, count, phase, latency, record['parallel'] or '-', repeat, wall, cpu, record['emulator_cpu'],
               record['module_runs'], record['requests'], record['writes'], record['in_flight'], record['connections'],
               '%.0f' % (record['peak_rss_kb'] / 1024.0) if record['peak_rss_kb'] else '-',
               '' if process.returncode == 0 else '  FAILED (rc %d, %s)' % (process.returncode, log_path)))
        if process.returncode != 0:
            self.failures.append(record)
        return record

    def save_partial(self):
        """Every record so far in results-partial.json (an interrupted run keeps what it measured)."""
        with open(os.path.join(self.work, 'results-partial.json'), 'w', encoding='utf-8') as handle:
            json.dump(dict(results=self.results, material_seconds=self.material_seconds,
                           default_parallel=self.default_parallel, wrapper_kind=self.wrapper_kind,
                           options=dict((name, getattr(self.args, name)) for name in REPORT_OPTIONS)), handle)

    def sequence(self, approach, kind, count, repeat):
        """First apply on an empty server, converged rerun, check mode; no latency, the default parallel."""
        self.emulator.reset()
        for phase in PHASES:
            self.run(approach, kind, count, phase, repeat)

    def kinds_for(self, count):
        return [k for k in self.args.kinds if not (k == 'rsa4096' and count > self.args.rsa4096_max)]

    def expected_seconds(self, count, latency, parallel):
        """What the writes alone take: WRITES_PER_BUNDLE per bundle, latency each, parallel at a time."""
        return WRITES_PER_BUNDLE * count * latency / 1000.0 / parallel

    def latency_plan(self, count):
        """(latency, parallel) measured at this N: every pair except the role's defaults at no latency (measured
        by the keys section already) and those expected to take more than --max-run seconds."""
        plan = []
        for latency in self.args.latencies:
            for parallel in self.args.parallels:
                if latency == 0 and parallel == self.default_parallel and count in self.args.sizes:
                    continue
                if self.expected_seconds(count, latency, parallel) > self.args.max_run:
                    continue
                plan.append((latency, parallel))
        return plan

    def measure(self):
        started = time.monotonic()
        largest = max(self.args.sizes + self.args.parallel_sizes)
        for kind in KEY_KINDS:
            if kind not in self.args.kinds and kind != DEFAULT_KIND:
                continue
            limit = self.args.rsa4096_max if kind == 'rsa4096' else largest
            pairs = make_material(os.path.join(self.work, 'material'), kind, limit)
            for count in sorted(set(self.args.sizes + self.args.parallel_sizes)):
                if count <= limit:
                    write_vars(self.vars_file(kind, count), pairs, count)
        self.material_seconds = time.monotonic() - started
        self.emulator.start()
        log('emulator at %s; modules run with %s (%s); role default parallel %s'
            % (self.emulator.url, self.python, self.wrapper_kind, self.default_parallel))
        try:
            for count in sorted(set(self.args.sizes + self.args.parallel_sizes)):
                if count in self.args.sizes:
                    loops = [a for a in LOOPS if count <= self.args.loop_max and a in self.args.approaches]
                    for repeat in range(1, self.args.repeats + 1):
                        # Interleaved: every key kind, then one loop, per repeat.
                        for kind in self.kinds_for(count):
                            self.sequence('role', kind, count, repeat)
                        if repeat <= len(loops):
                            self.sequence(loops[repeat - 1], DEFAULT_KIND, count, 1)
                    for approach in loops[self.args.repeats:]:
                        self.sequence(approach, DEFAULT_KIND, count, 1)
                if count in self.args.parallel_sizes:
                    for latency, parallel in self.latency_plan(count):
                        self.emulator.reset(latency)
                        self.run('role', DEFAULT_KIND, count, 'apply', 1, latency, parallel, section='latency')
                        if (count, latency, parallel) == (self.args.latency_rerun_n, max(self.args.latencies),
                                                          self.default_parallel):
                            # Nothing to write: the latency of writes must not show.
                            self.run('role', DEFAULT_KIND, count, 'rerun', 1, latency, parallel, section='latency')
        finally:
            self.emulator.stop()
        self.extrapolate_loops()
        self.extrapolate_latency()

    def extrapolate_loops(self):
        """Loops beyond --loop-max: linear through the two largest sizes measured (module runs, requests and time
        all grow by a fixed amount per bundle); peak memory does not depend on N (one small process per object)."""
        for approach in LOOPS:
            measured = sorted(set(r['n'] for r in self.results if r['approach'] == approach and not r['extrapolated']))
            if len(measured) < 2:
                continue
            low, high = measured[-2], measured[-1]
            for count in [c for c in self.args.sizes if c > high]:
                for phase in PHASES:
                    a, b = self.pick(approach, DEFAULT_KIND, low, phase), self.pick(approach, DEFAULT_KIND, high, phase)
                    self.results.append(self.line_through(a, b, count))

    def extrapolate_latency(self):
        """First applies not measured (expected beyond --max-run): linear in N through the two largest N measured for
        the same latency and parallel."""
        for latency in self.args.latencies:
            for parallel in self.args.parallels:
                cells = [(c, self.latency_cell(c, latency, parallel)) for c in self.args.parallel_sizes]
                measured = [(c, r) for c, r in cells if r and not r['extrapolated']]
                missing = [c for c, r in cells if not r]
                if len(measured) < 2:
                    continue
                a, b = measured[-2][1], measured[-1][1]
                for count in missing:
                    if count > b['n']:
                        record = self.line_through(a, b, count)
                        record.update(section='latency', latency=latency, parallel=parallel)
                        self.results.append(record)

    @staticmethod
    def line_through(a, b, count):
        factor = float(count - b['n']) / (b['n'] - a['n'])
        record = dict(a, n=count, repeat=0, rc=0, extrapolated=True, log=None, changed=None, tasks=[],
                      peak_rss_kb=None, from_n=(a['n'], b['n']))
        for field in ('wall', 'module_seconds', 'cpu', 'emulator_cpu', 'module_runs', 'requests', 'writes', 'errors'):
            value = b[field] + (b[field] - a[field]) * factor
            record[field] = value if field in ('wall', 'module_seconds', 'cpu', 'emulator_cpu') else int(round(value))
        if a['approach'] != 'role':
            record['peak_rss_kb'] = max(a['peak_rss_kb'] or 0, b['peak_rss_kb'] or 0) or None
        record.pop('walls', None)
        return record

    def pick(self, approach, kind, count, phase, latency=0, parallel=None):
        """The figures of one cell: the median wall time of the repeats, the highest peak memory, the counts of the
        repeat with the median time (they do not vary between repeats). parallel None: the default."""
        if approach == 'role' and parallel is None:
            parallel = self.default_parallel
        runs = [r for r in self.results if (r['approach'], r['kind'], r['n'], r['phase'], r['latency']) ==
                (approach, kind, count, phase, latency) and (approach != 'role' or r['parallel'] == parallel)]
        if not runs:
            return None
        ordered = sorted(runs, key=lambda r: r['wall'])
        chosen = dict(ordered[(len(ordered) - 1) // 2])
        chosen['wall'] = statistics.median(r['wall'] for r in runs)
        chosen['walls'] = [r['wall'] for r in runs]
        for field in ('cpu', 'emulator_cpu'):
            chosen[field] = statistics.median(r.get(field, 0.0) for r in runs)
        peaks = [r['peak_rss_kb'] for r in runs if r['peak_rss_kb']]
        chosen['peak_rss_kb'] = max(peaks) if peaks else None
        for field in ('module_runs', 'requests', 'writes'):
            values = sorted(set(r[field] for r in runs))
            chosen[field + '_range'] = values
        return chosen

    def latency_cell(self, count, latency, parallel):
        return self.pick('role', DEFAULT_KIND, count, 'apply', latency, parallel)


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
        'import sys, ansible.release, cryptography, requests\n'
        'from importlib.metadata import version\n'
        'print(sys.version.split()[0], ansible.release.__version__, cryptography.__version__, requests.__version__, '
        'version("flask"), version("cheroot"))')]).split() or ['?'] * 6
    versions += ['?'] * (6 - len(versions))
    return dict(
        cpu=model.group(1).strip() if model else platform.processor() or '?',
        cores=os.cpu_count(),
        usable_cores=len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count(),
        memory_gb=int(memory.group(1)) / 1024.0 / 1024.0 if memory else None,
        system='%s %s' % (platform.system(), platform.release()),
        python=versions[0], ansible_core=versions[1], cryptography=versions[2], requests=versions[3],
        flask=versions[4], cheroot=versions[5],
        load=read_text('/proc/loadavg').split()[:3],
        pressure=(re.findall(r'^some avg10=\S+ avg60=\S+ avg300=(\S+)', read_text('/proc/pressure/cpu'), re.M) or [None])[0],
        commit=command_output(['git', '-C', ROOT, 'describe', '--always', '--dirty']).strip() or '?',
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


def verdict(met):
    return 'met' if met else '**missed**'


def times(numerator, denominator):
    if not numerator or not denominator:
        return None
    return numerator['wall'] / denominator['wall']


def times_text(value, extrapolated=False):
    return '-' if value is None else '%.1fx%s' % (value, '*' if extrapolated else '')


def megabytes(record):
    if not record or not record['peak_rss_kb']:
        return '-'
    text = '%.0f' % (record['peak_rss_kb'] / 1024.0)
    return ('~%s*' % text) if record['extrapolated'] else text


def cpu_figure(record):
    """The CPU-time figure of a run: CPU seconds of Ansible, its modules and the emulator, plus the latency of its
    writes divided by parallel -- what the run would take on a machine of its own if none of it overlapped."""
    waiting = record['writes'] * record['latency'] / 1000.0 / (record['parallel'] or 1) if record['latency'] else 0.0
    return record.get('cpu', 0.0) + record.get('emulator_cpu', 0.0) + waiting


def cpu_text(record):
    """CPU seconds of Ansible with its modules, + those of the emulator."""
    text = '%.2f + %.2f' % (record.get('cpu', 0.0), record.get('emulator_cpu', 0.0))
    return ('~%s*' % text) if record['extrapolated'] else text


def median_text(record):
    runs = len(record.get('walls', []))
    return '%.2f s%s' % (record['wall'], ' (median of %d)' % runs if runs > 1 else '')


def wall_text(record):
    text = seconds(record['wall'], record['extrapolated'])
    if len(record.get('walls', [])) > 1:
        text += ' (%s)' % ', '.join('%.2f' % w for w in sorted(record['walls']))
    return text


class Report:
    def __init__(self, bench, info, total_seconds):
        self.bench = bench
        self.args = bench.args
        self.info = info
        self.total_seconds = total_seconds
        self.default = bench.default_parallel

    def cell(self, approach, count, phase, kind=DEFAULT_KIND):
        return self.bench.pick(approach, kind, count, phase)

    def lat(self, count, latency, parallel):
        return self.bench.latency_cell(count, latency, parallel)

    # -- tables --

    def keys_table(self):
        lines = ['| N | key | run | wall s | module s | CPU s | module runs | HTTP requests | write requests |'
                 ' peak module RSS MB | changed tasks |',
                 '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|']
        for count in self.args.sizes:
            for kind in self.bench.kinds_for(count):
                for phase in PHASES:
                    record = self.cell('role', count, phase, kind)
                    if not record:
                        continue
                    lines.append('| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                        count, LABELS[kind], LABELS[phase], wall_text(record), seconds(record['module_seconds']),
                        cpu_text(record), count_text(record, 'module_runs'), count_text(record, 'requests'), count_text(record, 'writes'),
                        megabytes(record), '-' if record['changed'] is None else record['changed']))
        return '\n'.join(lines)

    def kind_ratio_table(self):
        kinds = [k for k in KEY_KINDS if k in self.args.kinds]
        others = [k for k in kinds if k != DEFAULT_KIND]
        heads = [LABELS[k] + ' s' for k in kinds] + ['%s / %s' % (LABELS[k], LABELS[DEFAULT_KIND]) for k in others]
        lines = ['| N | run | %s |' % ' | '.join(heads), '|---:|---|%s' % ('---:|' * len(heads))]
        for count in self.args.sizes:
            for phase in PHASES:
                cells = dict((k, self.cell('role', count, phase, k)) for k in kinds)
                lines.append('| %d | %s | %s | %s |' % (
                    count, LABELS[phase], ' | '.join(seconds(cells[k]['wall']) if cells[k] else '-' for k in kinds),
                    ' | '.join(times_text(times(cells[k], cells.get(DEFAULT_KIND))) for k in others)))
        return '\n'.join(lines)

    def loops_table(self):
        lines = ['| N | approach | run | wall s | module s | CPU s | module runs | HTTP requests | write requests |'
                 ' peak module RSS MB | changed tasks |',
                 '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|']
        for count in self.args.sizes:
            for approach in APPROACHES:
                for phase in PHASES:
                    record = self.cell(approach, count, phase)
                    if not record:
                        continue
                    changed = '-' if record['changed'] is None else str(record['changed'])
                    if approach == 'uri' and phase == 'rerun':
                        changed += ' (not idempotent: %d refused creates)' % record['errors'] if not record[
                            'extrapolated'] else ' (not idempotent)'
                    if approach == 'uri' and phase == 'check':
                        changed += ' (uri has no check mode: skipped)'
                    lines.append('| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                        count, LABELS[approach], LABELS[phase], wall_text(record),
                        seconds(record['module_seconds'], record['extrapolated']), cpu_text(record), count_text(record, 'module_runs'),
                        count_text(record, 'requests'), count_text(record, 'writes'), megabytes(record), changed))
        return '\n'.join(lines)

    def loops_ratio_table(self):
        lines = ['| N | run | role s | per-object s | uri s | per-object / role | uri / role | per-object / uri |',
                 '|---:|---|---:|---:|---:|---:|---:|---:|']

        def guessed(*records):
            return any(r and r['extrapolated'] for r in records)

        for count in self.args.sizes:
            for phase in PHASES:
                role, loop, uri = (self.cell(a, count, phase) for a in APPROACHES)
                if not (loop or uri):
                    continue
                lines.append('| %d | %s | %s | %s | %s | %s | %s | %s |' % (
                    count, LABELS[phase],
                    seconds(role['wall']) if role else '-',
                    seconds(loop['wall'], loop['extrapolated']) if loop else '-',
                    seconds(uri['wall'], uri['extrapolated']) if uri else '-',
                    times_text(times(loop, role), guessed(loop)), times_text(times(uri, role), guessed(uri)),
                    times_text(times(loop, uri), guessed(loop, uri))))
        return '\n'.join(lines)

    def latency_table(self):
        parallels = self.args.parallels
        lines = ['| write latency | N | %s | %s | writes in flight at most (server) |' % (
            ' | '.join('parallel %d s' % p for p in parallels),
            ' | '.join('%d vs 1' % p for p in parallels if p != 1)),
            '|---:|---:|%s%s---|' % ('---:|' * len(parallels), '---:|' * len([p for p in parallels if p != 1]))]
        for latency in self.args.latencies:
            for count in self.args.parallel_sizes:
                cells = dict((p, self.lat(count, latency, p)) for p in parallels)
                if not any(cells.values()):
                    continue
                serial = cells.get(1)
                lines.append('| %d ms | %d | %s | %s | %s |' % (
                    latency, count,
                    ' | '.join(seconds(c['wall'], c['extrapolated']) if c else '-' for c in cells.values()),
                    ' | '.join(times_text(times(serial, cells[p]), bool(serial and cells[p] and (
                        serial['extrapolated'] or cells[p]['extrapolated']))) for p in parallels if p != 1),
                    ', '.join('%d: %s' % (p, c['in_flight'] if not c['extrapolated'] else '-') for p, c in cells.items()
                              if c)))
        return '\n'.join(lines)

    # -- targets --

    def targets(self):
        """[(target, measured, met, cpu figure, met on cpu)] for the targets of issue 11; the last two are None
        where the target is not a time."""
        rows = []

        def timed(name, record, limit, detail=''):
            cpu = cpu_figure(record)
            rows.append((name, median_text(record) + detail, record['wall'] <= limit, '%.2f s' % cpu, cpu <= limit))

        for count, limit in ((300, 4.0), (1000, 8.0)):
            record = self.cell('role', count, 'rerun')
            if record:
                timed('converged rerun, RSA-2048, N=%d: at most %.0f s' % (count, limit), record, limit)
        reruns = [(c, self.cell('role', c, 'rerun')) for c in self.args.sizes]
        reruns = [(c, r) for c, r in reruns if r]
        if reruns:
            counts = [r['requests'] for _c, r in reruns]
            writes = sum(r['writes'] for _c, r in reruns)
            rows.append(('converged rerun, RSA-2048: requests stay constant (no per-bundle GET when nothing differs),'
                         ' no write', ', '.join('N=%d: %d' % (c, r['requests']) for c, r in reruns)
                         + '; %d writes' % writes, len(set(counts)) == 1 and writes == 0, None, None))
        record = self.cell('role', 100, 'rerun', 'rsa4096')
        if record:
            timed('converged rerun, RSA-4096, N=100: at most 4 s', record, 4.0)
        top, serial, eight = self.lat(300, 300, 16), self.lat(300, 300, 1), self.lat(300, 300, 8)
        if top:
            timed('first apply, RSA-2048, N=300, 300 ms per write, parallel 16: at most 20 s', top, 20.0,
                  ' (%d writes, at most %d in flight)' % (top['writes'], top['in_flight']))
        for fast, factor in ((top, 8.0), (eight, 4.0)):
            if fast and serial:
                value, by_cpu = times(serial, fast), cpu_figure(serial) / (cpu_figure(fast) or 1e-9)
                source = ('parallel 1 extrapolated from N=%d and N=%d' % tuple(serial['from_n'])) if serial['extrapolated'] \
                    else 'parallel 1 measured'
                rows.append(('first apply, RSA-2048, N=300, 300 ms per write: parallel %d at least %.0fx faster than'
                             ' parallel 1' % (fast['parallel'], factor),
                             '%.1fx (%s s / %.1f s; %s)' % (value, seconds(serial['wall'], serial['extrapolated']),
                                                            fast['wall'], source), value >= factor,
                             '%.1fx (%.1f s / %.1f s)' % (by_cpu, cpu_figure(serial), cpu_figure(fast)), by_cpu >= factor))
        default = self.lat(300, 300, self.default)
        if default and serial:
            rows.append(('the default parallel is documented with its reason',
                         'parallel %d: %.1fx faster than parallel 1 at 300 ms per write (N=300), the server never has'
                         ' more than %d writes in flight; see "The default parallel" below and the option\'s'
                         ' documentation' % (self.default, times(serial, default), default['in_flight']), True,
                         None, None))
        record = self.cell('role', 1000, 'apply')
        if record:
            timed('first apply, RSA-2048, N=1000, no latency: at most 30 s', record, 30.0, ', parallel %d' % self.default)
        peaks = [r for r in self.bench.results if r['n'] == 1000 and r['approach'] == 'role' and r['peak_rss_kb']]
        if peaks:
            peak = max(peaks, key=lambda r: r['peak_rss_kb'])
            rows.append(('peak module RSS, N=1000: at most 150 MB',
                         '%.0f MB (largest of %d role runs at N=1000: %s, %s, %d ms, parallel %d)' % (
                             peak['peak_rss_kb'] / 1024.0, len(peaks), LABELS[peak['kind']], LABELS[peak['phase']],
                             peak['latency'], peak['parallel']), peak['peak_rss_kb'] / 1024.0 <= 150.0, None, None))
        role, loop = self.cell('role', 100, 'rerun'), self.cell('per_object', 100, 'rerun')
        if role and loop:
            value, by_cpu = times(loop, role), cpu_figure(loop) / (cpu_figure(role) or 1e-9)
            mark = '*' if loop['extrapolated'] else ''
            rows.append(('converged rerun, N=100: the role at least 30x faster than the per-object loop',
                         '%.1fx%s (%s s / %.2f s)' % (value, mark, seconds(loop['wall'], loop['extrapolated']), role['wall']),
                         value >= 30.0,
                         '%.1fx%s (%.1f s / %.2f s)' % (by_cpu, mark, cpu_figure(loop), cpu_figure(role)),
                         by_cpu >= 30.0))
        return rows

    # -- text --

    def fixed_cost_text(self):
        """What a converged rerun costs at N=1 (start-up of Ansible and of the module, reads) and what more bundles
        add to it, in CPU seconds: on a contended machine the growth with N is the steadier figure."""
        base = self.cell('role', 1, 'rerun')
        larger = [(c, self.cell('role', c, 'rerun')) for c in self.args.sizes if c > 1]
        larger = [(c, r) for c, r in larger if r]
        if not base or not larger:
            return ''
        grows = ', '.join('%+.2f s at N=%d' % (cpu_figure(r) - cpu_figure(base), c) for c, r in larger)
        text = ('What is fixed and what grows: the converged rerun at N=1 took %.2f s wall and a CPU-time figure of'
                ' %.2f s here -- Ansible\'s and the module\'s start-up and three reads -- and against it the larger'
                ' sizes differ by %s of CPU-time figure (RSA-2048; measured at different moments of a varying load,'
                ' so small differences are noise).' % (base['wall'], cpu_figure(base), grows))
        if cpu_figure(base) >= 4.0:
            text += (' On this machine, at this load, the N=1 run alone already takes more than the 4 s that the'
                     ' targets allow at N=300 and N=100: what stands between those targets and their figures is the'
                     ' fixed cost of starting Ansible and a module on cores that other work held, not what grows'
                     ' with N.')
        return text

    def default_parallel_text(self):
        """Why the default parallel is what it is, from this run's figures."""
        parallels = self.args.parallels
        lines = []
        for latency in self.args.latencies:
            cells = dict((p, self.lat(300, latency, p)) for p in parallels)
            if not all(cells.values()):
                continue
            serial = cells.get(1)
            described = []
            for p, c in cells.items():
                gain = '' if p == 1 else ' (%s)' % times_text(times(serial, c), c['extrapolated'] or serial['extrapolated'])
                described.append('parallel %d %s s%s' % (p, seconds(c['wall'], c['extrapolated']), gain))
            lines.append('- %d ms per write, N=300: %s.' % (latency, '; '.join(described)))
        big = dict((p, self.lat(1000, 0, p)) for p in parallels)
        if all(big.values()):
            lines.append('- No latency, N=1000: %s; peak module RSS %s MB.' % (
                '; '.join('parallel %d %s s' % (p, seconds(c['wall'])) for p, c in big.items()),
                ', '.join('%s' % megabytes(c) for c in big.values())))
        return lines

    def options_text(self):
        """The options of this run that differ from the defaults, as run_bench.py arguments."""
        defaults = parse_args(['--collections', '-'])
        changed = []
        for name in REPORT_OPTIONS:
            value = getattr(self.args, name)
            if value != getattr(defaults, name):
                shown = ','.join(str(v) for v in value) if isinstance(value, list) else str(value)
                changed.append('--%s %s' % (name.replace('_', '-'), shown))
        return ' '.join(changed)

    def markdown(self):
        info = self.info
        default = self.default
        options = self.options_text()
        text = [
            '# Performance: converging N bundles',
            '',
            '<!-- Generated by `make bench` (bench/run_bench.py); do not edit by hand. -->',
            '',
            'What it costs to keep N bundles -- each a certificate and its own private key, deployed to %d'
            ' environments -- in an Apinizer project, against the bundled emulator on 127.0.0.1 (HTTP/1.1,'
            ' connections kept alive). Every figure below comes from one `make bench` run (%s); ratios compare'
            ' runs of that same invocation, interleaved by N.' % (len(ENVIRONMENTS), info['date']),
            '',
            '- **role apinizer_deploy**: the role `apinizer.apiops.apinizer_deploy`, one `apinizer_bundle` run for all'
            ' bundles (`bench/playbooks/role.yml`), `apinizer_deploy_parallel` at its default (%d) unless a table'
            ' says otherwise;' % default,
            '- **per-object loop**: a playbook that loops `apinizer.apiops.apinizer_certificate` and'
            ' `apinizer.apiops.apinizer_key`, one module run per object (`bench/playbooks/per_object.yml`);',
            '- **ansible.builtin.uri**: a playbook written the way the API reference\'s curl examples suggest,'
            ' `ansible.builtin.uri` once per object, multipart POST for a certificate and JSON POST for a key'
            ' (`bench/playbooks/uri.yml`). It never reads, so it is **not idempotent**: a rerun sends every create'
            ' again, the server refuses each with 400 "is already exist!" (the playbook accepts 400 so as not to'
            ' fail), and a changed certificate would never be replaced. `uri` does not support check mode: with'
            ' `--check` Ansible skips its tasks without running the module, so it predicts nothing.',
            '',
            'Runs: **first apply** on an empty server, **converged rerun** (nothing to do), **check mode** (`--check`'
            ' against the converged server: the drift check a pipeline runs). The emulator is reset before each first'
            ' apply. Keys are RSA-2048 unless a row says RSA-4096 (the API holds RSA keys only). **Write latency**: the emulator\'s'
            ' latency fault on `WRITE` (every POST, PUT and DELETE waits that long before it is processed), standing'
            ' for a real server that deploys each write to its environments.',
            '',
            '## Targets',
            '',
            'The targets of issue 11, each against its figure from this run. The machine was shared with other work'
            ' (load average below), which stretches wall time; the *CPU-time figure* is what the run cost whatever'
            ' else ran: CPU seconds of ansible-playbook and every process under it (the modules) and of the emulator,'
            ' plus the writes\' latency divided by parallel -- what the run would take on a machine of its own if'
            ' none of it overlapped.',
            '',
            '| target | measured (wall) | | CPU-time figure | |',
            '|---|---|---|---|---|',
        ]
        for name, figure, met, cpu, cpu_met in self.targets():
            shown = (cpu, verdict(cpu_met)) if cpu is not None else ('-', '-')
            text.append('| %s | %s | %s | %s | %s |' % ((name, figure, verdict(met)) + shown))
        text.extend(['', self.fixed_cost_text()] if self.fixed_cost_text() else [])
        text.extend([
            '',
            '## Key types: the role at every N',
            '',
            'No latency, parallel %d.%s' % (default, ' Wall: the median of %d runs (all runs in parentheses).'
                                            % self.args.repeats if self.args.repeats > 1 else ' One run each.'),
            '',
            self.keys_table(),
            '',
            self.kind_ratio_table(),
            '',
            'A converged rerun and check mode parse every key and compare its public key with its certificate (no'
            ' consistency check of the key itself: nothing is sent); a first apply also checks each key that it'
            ' sends, once, before the first write. For RSA that check is arithmetic on the key\'s numbers (see the'
            ' module\'s documentation), so RSA-4096 costs little more than RSA-2048.',
            '',
            '## Against one module run per object',
            '',
            'RSA-2048, no latency. The two loops are measured up to N=%d; `~...*` figures are **extrapolated**, not'
            ' measured: a straight line through the two largest measured sizes (a fixed number of module runs and'
            ' requests per bundle); their peak memory does not depend on N (each object is its own small module run).'
            % self.args.loop_max,
            '',
            self.loops_table(),
            '',
            self.loops_ratio_table(),
            '',
            '## A server that takes its time: write latency and parallel',
            '',
            'First apply of the role, RSA-2048, every write delayed by the latency given; `parallel` is'
            ' `apinizer_deploy_parallel` (each worker keeps its own connection). A run whose writes alone would'
            ' take more than %.0f s (2 writes per bundle x latency / parallel) is **extrapolated** (`~...*`): a'
            ' straight line in N through the two largest N measured with the same latency and parallel -- the'
            ' issue allows parallel 1 to be measured at N=100 and scaled. *writes in flight at most*: the most'
            ' writes the emulator was processing at the same moment, from its request log.' % self.args.max_run,
            '',
            self.latency_table(),
            '',
        ])
        rerun = self.bench.pick('role', DEFAULT_KIND, self.args.latency_rerun_n, 'rerun',
                                max(self.args.latencies), default)
        if rerun:
            text.extend([
                'A converged rerun writes nothing, so write latency does not show: N=%d at %d ms per write, %.2f s'
                ' (%d requests, %d writes).' % (rerun['n'], rerun['latency'], rerun['wall'], rerun['requests'],
                                                rerun['writes']), ''])
        text.extend([
            '![Wall time against N and against parallel](performance.png)',
            '',
            '## The default parallel (%d)' % default,
            '',
        ] + self.default_parallel_text() + [
            '',
            'Every write makes the server deploy to each of the object\'s environments, and it does that for every'
            ' write it has in flight: `parallel` is how many deployments one run asks the gateway for at once (the'
            ' emulator shows it: never more writes in flight than `parallel`). With no latency the work is the'
            ' module\'s own CPU time and more workers gain little on 2 cores; against a slow server the time falls'
            ' almost in proportion to `parallel`, as the figures above show. The default, %d, takes a large share of'
            ' that gain while one run never asks a management API that other pipelines and teams share for more'
            ' than %d deployments at once; a pipeline that owns its gateway and knows it copes sets 8 or 16 (a 429'
            ' answer slows every worker down at once). 1 writes one bundle after another.' % (default, default),
            '',
            '## Where the time goes',
            '',
        ] + self.breakdown() + [
            '',
            'The role starts one module for all bundles instead of two per bundle, and reads one certificate list,'
            ' one key list and the environments once for all bundles instead of one read per object; a converged'
            ' rerun sends no write and the same few requests for any N.%s' % self.cost_text(),
            '',
            '## Machine',
            '',
            '| | |',
            '|---|---|',
            '| CPU | %s |' % info['cpu'],
            '| cores | %s (usable: %s), shared with other work |' % (info['cores'], info['usable_cores']),
            '| memory | %s |' % ('%.1f GiB' % info['memory_gb'] if info['memory_gb'] else '?'),
            '| system | %s |' % info['system'],
            '| collection measured (git describe) | %s |' % info.get('commit', '?'),
            '| Python | %s |' % info['python'],
            '| ansible-core | %s |' % info['ansible_core'],
            '| cryptography, requests | %s, %s |' % (info['cryptography'], info['requests']),
            '| emulator | Flask %s on cheroot %s (HTTP/1.1 keep-alive), same machine |' % (info['flask'], info['cheroot']),
            '| load average (1, 5, 15 min) at the start and at the end | %s; %s |'
            % (' '.join(info['load']), ' '.join(info.get('load_after', []))),
            '| CPU pressure when the report was written (share of the last 5 minutes in which a task waited for a'
            ' core, /proc/pressure/cpu) | %s |' % ('%s %%' % info['pressure'] if info.get('pressure') else '?'),
            '| run | %s; `make bench` %s %.1f minutes (%.1f of them making test keys and certificates) |' % (
                info['date'], 'was stopped after' if info.get('stopped') else 'took', self.total_seconds / 60.0,
                self.bench.material_seconds / 60.0),
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
            ' (matplotlib) into `.venv`, then runs `python bench/run_bench.py --collections build/collections --work'
            ' build/bench --docs docs`, which starts the emulator, makes the certificates and keys once (in'
            ' `build/bench/material`, kept for later runs), runs the playbooks of `bench/playbooks/`, and writes this'
            ' file, `docs/performance.png` and `build/bench/results.json`. Each playbook\'s output is kept in'
            ' `build/bench/logs/`. Options (`python bench/run_bench.py --help`): `--sizes`, `--kinds`,'
            ' `--rsa4096-max`, `--repeats`, `--loop-max`, `--latencies`, `--parallels`, `--parallel-sizes`,'
            ' `--max-run`. `make bench` is not part of `make test`, and nothing asserts timings.',
            '',
            '%s' % ('The run was stopped before its end, for the time at hand: what it had not measured yet is'
                    ' extrapolated where the tables mark it, or missing.' if info.get('stopped') else ''),
            '',
            'This run: `make bench%s`%s.' % (" BENCH_ARGS='%s'" % options if options else '',
                                             ' (the machine was shared with other work, see the load average above;'
                                             ' fewer repeats and shorter loops kept it within the time at hand)'
                                             if options else ''),
            '',
            'To see where the module process spends its time: `pip install pyinstrument`, then `python'
            ' bench/run_bench.py --collections build/collections --profile --sizes 1000` runs the role\'s first'
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
        lines = ['| N=%d, RSA-2048, role: task | %s |' % (count, ' | '.join(LABELS[p] + ' s' for p in PHASES)),
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
        return lines

    def plot(self, path):
        import matplotlib  # pylint: disable=import-outside-toplevel
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

        figure, axes = plt.subplots(2, 2, figsize=(13, 9))
        sizes = self.args.sizes

        def series(axis, cells, label, colour, marker):
            measured = [c for c in cells if c and not c['extrapolated']]
            guessed = [c for c in cells if c and c['extrapolated']]
            axis.plot([c['n'] for c in measured], [c['wall'] for c in measured], color=colour, marker=marker,
                      label=label)
            if guessed and measured:
                axis.plot([measured[-1]['n']] + [c['n'] for c in guessed],
                          [measured[-1]['wall']] + [c['wall'] for c in guessed], color=colour, marker=marker,
                          linestyle='--', markerfacecolor='white', markevery=list(range(1, len(guessed) + 1)))

        colours = {'rsa2048': 'tab:green', 'rsa4096': 'tab:purple', 'per_object': 'tab:orange',
                   'uri': 'tab:blue'}
        for axis, phase in zip(axes[0], ('rerun', 'apply')):
            for kind in [k for k in KEY_KINDS if k in self.args.kinds]:
                series(axis, [self.cell('role', c, phase, kind) for c in sizes], 'role, %s' % LABELS[kind],
                       colours[kind], 'o')
            for approach in LOOPS:
                series(axis, [self.cell(approach, c, phase) for c in sizes], '%s, RSA-2048' % LABELS[approach],
                       colours[approach], 's')
            axis.set_title('%s, no latency' % LABELS[phase])
        lat_colours = {1: 'tab:red', 4: 'tab:green', 8: 'tab:blue', 16: 'tab:purple'}
        top = max(self.args.latencies)
        for parallel in self.args.parallels:
            series(axes[1][0], [self.lat(c, top, parallel) for c in self.args.parallel_sizes],
                   'parallel %d%s' % (parallel, ' (default)' if parallel == self.default else ''),
                   lat_colours.get(parallel, 'tab:gray'), 'o')
        axes[1][0].set_title('first apply, RSA-2048, %d ms per write' % top)
        for axis in (axes[0][0], axes[0][1], axes[1][0]):
            if not any(len(line.get_xdata()) for line in axis.lines):
                continue
            axis.set_xscale('log')
            axis.set_yscale('log')
            ticks = sizes if axis is not axes[1][0] else self.args.parallel_sizes
            axis.set_xticks(list(ticks))
            axis.set_xticklabels([str(c) for c in ticks])
            axis.set_xlabel('bundles (N)')
            axis.set_ylabel('wall seconds (log)')
        axis = axes[1][1]
        count = 300 if 300 in self.args.parallel_sizes else max(self.args.parallel_sizes)
        for latency, colour in zip(self.args.latencies, ('tab:gray', 'tab:orange', 'tab:red', 'tab:brown')):
            cells = [(p, self.lat(count, latency, p)) for p in self.args.parallels]
            cells = [(p, c) for p, c in cells if c]
            axis.plot([p for p, _c in cells], [c['wall'] for _p, c in cells], color=colour, marker='o',
                      label='%d ms per write' % latency)
            for p, c in cells:
                if c['extrapolated']:
                    axis.plot([p], [c['wall']], color=colour, marker='o', markerfacecolor='white')
        if any(len(line.get_xdata()) for line in axis.lines):
            axis.set_xscale('log', base=2)
            axis.set_yscale('log')
        axis.set_xticks(list(self.args.parallels))
        axis.set_xticklabels([str(p) for p in self.args.parallels])
        axis.set_xlabel('parallel')
        axis.set_ylabel('wall seconds (log)')
        axis.set_title('first apply, RSA-2048, N=%d, by parallel' % count)
        for axis in axes.flat:
            axis.grid(True, which='both', alpha=0.3)
            axis.legend(loc='upper left', fontsize='x-small')
        figure.suptitle('apinizer.apiops: wall time (%d environments; dashed, hollow: extrapolated)'
                        % len(ENVIRONMENTS), fontsize='medium')
        figure.tight_layout()
        figure.savefig(path, dpi=100)
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
    kind = bench.args.kinds[0]
    pairs = make_material(os.path.join(bench.work, 'material'), kind, max(bench.args.sizes))
    bench.emulator.start()
    try:
        for count in bench.args.sizes:
            write_vars(bench.vars_file(kind, count), pairs, count)
            bench.emulator.reset(bench.args.latencies[0])
            for phase in ('apply', 'rerun'):
                target = os.path.join(out, 'role-%s-%d-%s.txt' % (kind, count, phase))
                os.environ['BENCH_PROFILE'] = target
                bench.run('role', kind, count, phase, 1, bench.args.latencies[0], bench.args.parallels[0])
                log('profile: %s' % target)
    finally:
        bench.emulator.stop()


# --- main -----------------------------------------------------------------------------


def numbers(text):
    return sorted(set(int(item) for item in text.split(',') if item.strip()))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--collections', required=True, help='where apinizer.apiops is installed (make build)')
    parser.add_argument('--work', default=os.path.join(ROOT, 'build', 'bench'), help='work directory')
    parser.add_argument('--docs', default=os.path.join(ROOT, 'docs'),
                        help='where performance.md and performance.png go')
    parser.add_argument('--python', default=sys.executable, help='the Python the modules and the emulator run with')
    parser.add_argument('--sizes', default='1,10,100,300,1000', help='numbers of bundles (default: 1,10,100,300,1000)')
    parser.add_argument('--kinds', default=','.join(KEY_KINDS),
                        help='key types of the role rows (default: %s)' % ','.join(KEY_KINDS))
    parser.add_argument('--rsa4096-max', type=int, default=100,
                        help='largest N with RSA-4096 keys (their generation is slow; default 100)')
    parser.add_argument('--repeats', type=int, default=3, help='runs of the role per size and key type (median; default 3)')
    parser.add_argument('--loop-max', type=int, default=100,
                        help='largest N measured for the two loops; beyond, extrapolated (default 100)')
    parser.add_argument('--approaches', default=','.join(APPROACHES),
                        help='which approaches to run (default: %s)' % ','.join(APPROACHES))
    parser.add_argument('--latencies', default='0,100,300', help='write latencies in ms (default: 0,100,300)')
    parser.add_argument('--parallels', default='1,4,8,16', help='values of parallel (default: 1,4,8,16)')
    parser.add_argument('--parallel-sizes', default='10,100,300,1000',
                        help='N of the latency x parallel first applies (default: 10,100,300,1000)')
    parser.add_argument('--max-run', type=float, default=65.0,
                        help='a latency run whose writes alone would take longer is extrapolated (default: 65 s)')
    parser.add_argument('--latency-rerun-n', type=int, default=300,
                        help='N of the one converged rerun at the largest latency (default 300)')
    parser.add_argument('--from-results', metavar='RESULTS_JSON',
                        help='instead of measuring: write the report again from the results.json of an earlier run '
                        '(its options, figures, machine and times)')
    parser.add_argument('--started-at', help='with --from-results of a stopped run (results-partial.json): when it '
                        'started, as YYYY-MM-DD HH:MM UTC')
    parser.add_argument('--started-load', help='with --from-results of a stopped run: the load average at its start')
    parser.add_argument('--profile', action='store_true',
                        help='instead of the benchmark: profile the module process of the role (first apply, rerun) '
                        'with pyinstrument (pip install pyinstrument), first of --kinds, --latencies, --parallels')
    args = parser.parse_args(argv)
    args.approaches = [a.strip() for a in args.approaches.split(',') if a.strip()]
    if set(args.approaches) - set(APPROACHES):
        parser.error('--approaches takes %s' % ', '.join(APPROACHES))
    args.kinds = [k.strip() for k in args.kinds.split(',') if k.strip()]
    if not args.kinds or set(args.kinds) - set(KEY_KINDS):
        parser.error('--kinds takes %s' % ', '.join(KEY_KINDS))
    args.sizes, args.latencies = numbers(args.sizes), numbers(args.latencies)
    args.parallels, args.parallel_sizes = numbers(args.parallels), numbers(args.parallel_sizes)
    if not args.sizes or args.sizes[0] < 1 or args.repeats < 1 or not args.parallels or args.parallels[0] < 1:
        parser.error('--sizes and --parallels need positive numbers and --repeats at least 1')
    if DEFAULT_KIND not in args.kinds and not args.profile:
        args.kinds.insert(0, DEFAULT_KIND)
    return args


REPORT_OPTIONS = ('sizes', 'kinds', 'rsa4096_max', 'repeats', 'loop_max', 'approaches', 'latencies', 'parallels',
                  'parallel_sizes', 'max_run', 'latency_rerun_n')


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # A stopped run (SIGTERM) unwinds like an exception, so that the emulator it started is stopped too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.from_results:
        with open(args.from_results, encoding='utf-8') as handle:
            saved = json.load(handle)
        for name in REPORT_OPTIONS:
            setattr(args, name, saved['options'][name])
    bench = Bench(args)
    if args.profile:
        profile(bench)
        return 1 if bench.failures else 0
    if args.from_results and 'machine' not in saved:
        # results-partial.json of a run that was stopped: the machine as it is now, the start as the options say.
        info = machine(bench.python)
        info['load_after'] = info['load']
        info['load'] = (args.started_load or '? ? ?').split()
        info['date'] = args.started_at or '?'
        info['stopped'] = True
        total = os.path.getmtime(args.from_results) - datetime.datetime.strptime(
            info['date'], '%Y-%m-%d %H:%M UTC').replace(tzinfo=datetime.timezone.utc).timestamp()
        saved['results'] = [r for r in saved['results'] if not r['extrapolated']]
        bench.results, bench.material_seconds = saved['results'], saved['material_seconds']
        bench.default_parallel, bench.wrapper_kind = saved['default_parallel'], saved['wrapper_kind']
        bench.extrapolate_loops()
        bench.extrapolate_latency()
    elif args.from_results:
        info, total = saved['machine'], saved['seconds']
        bench.results, bench.material_seconds = saved['results'], saved['material_seconds']
        bench.default_parallel = saved['default_parallel']
        bench.wrapper_kind = saved['wrapper_kind']
    else:
        info = machine(bench.python)
        info['date'] = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
        log('load average at the start: %s' % ' '.join(info['load']))
        bench.measure()
        total = time.monotonic() - bench.started
        info['load_after'] = read_text('/proc/loadavg').split()[:3]
        with open(os.path.join(bench.work, 'results.json'), 'w', encoding='utf-8') as handle:
            json.dump(dict(machine=info, results=bench.results, seconds=total, material_seconds=bench.material_seconds,
                           default_parallel=bench.default_parallel, wrapper_kind=bench.wrapper_kind,
                           options=dict((name, getattr(args, name)) for name in REPORT_OPTIONS)), handle, indent=1)
    report = Report(bench, info, total)
    os.makedirs(args.docs, exist_ok=True)
    report.plot(os.path.join(args.docs, 'performance.png'))
    with open(os.path.join(args.docs, 'performance.md'), 'w', encoding='utf-8') as handle:
        handle.write(report.markdown())
    log('wrote %s and %s in %.1f minutes; load average at the end: %s'
        % (os.path.join(args.docs, 'performance.md'), os.path.join(args.docs, 'performance.png'), total / 60.0,
           ' '.join(info['load_after'])))
    for name, figure, met, cpu, cpu_met in report.targets():
        log('target %-6s %s: %s%s' % ('met' if met else 'MISSED', name, figure,
                                      '' if cpu is None else '; CPU-time figure %s, %s' % (cpu, verdict(cpu_met))))
    failures = [r for r in bench.results if r['rc']]
    if failures:
        log('%d playbook run(s) failed: %s' % (len(failures), ', '.join(r['log'] for r in failures)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
