# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop the Apinizer emulator for the molecule scenario, in the background, between playbooks.

  python emulator_ctl.py start STATE_DIR EMULATOR_DIR   # 127.0.0.1, a free port, a new random token
  python emulator_ctl.py stop STATE_DIR                 # safe when nothing runs

start writes STATE_DIR/emulator.json (mode 0600: url, token, pid) for the other playbooks and logs to
STATE_DIR/emulator.log. Both print one JSON line without the token: {"changed": bool, "url"?, "pid"?}.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import time

STATE_FILE = 'emulator.json'
PROJECT = 'demo=production,staging,development'


def _state_path(state_dir):
    return os.path.join(state_dir, STATE_FILE)


def _is_emulator(pid):
    """Whether pid is alive and is an emulator (a recycled pid must not be signalled)."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return b'apinizer_emulator' in handle.read()
    except (IOError, OSError):
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def _healthy(port):
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
    try:
        connection.request('GET', '/_emulator/health')
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def stop(state_dir):
    path = _state_path(state_dir)
    try:
        with open(path) as handle:
            pid = int(json.load(handle)['pid'])
    except (IOError, OSError, ValueError, KeyError):
        return dict(changed=False)
    changed = False
    if _is_emulator(pid):
        changed = True
        os.kill(pid, signal.SIGTERM)
        for _attempt in range(100):
            if not _is_emulator(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    os.remove(path)
    return dict(changed=changed, pid=pid)


def start(state_dir, emulator_dir):
    stop(state_dir)
    os.makedirs(state_dir, exist_ok=True)
    port_file = os.path.join(state_dir, 'emulator.port')
    if os.path.exists(port_file):
        os.remove(port_file)
    token = secrets.token_hex(40)
    # EMULATOR_DIR may be inside an installed collection: no __pycache__ is written there, so
    # `ansible-galaxy collection verify` still finds the collection as it was installed.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (emulator_dir, os.environ.get('PYTHONPATH')) if p),
               PYTHONDONTWRITEBYTECODE='1')
    with open(os.path.join(state_dir, 'emulator.log'), 'ab') as log:
        process = subprocess.Popen(
            [sys.executable, '-m', 'apinizer_emulator', '--host', '127.0.0.1', '--port', '0',
             '--port-file', port_file, '--token', token, '--project', PROJECT],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=state_dir,
            start_new_session=True)  # outlives this playbook; emulator_ctl.py stop ends it
    for _attempt in range(300):
        if process.poll() is not None:
            raise SystemExit('the emulator exited with status %d; see %s/emulator.log' % (process.returncode, state_dir))
        try:
            with open(port_file) as handle:
                port = int(handle.read().strip())
        except (IOError, OSError, ValueError):
            port = None
        if port and _healthy(port):
            url = 'http://127.0.0.1:%d' % port
            descriptor = os.open(_state_path(state_dir), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, 'w') as handle:
                json.dump(dict(url=url, token=token, pid=process.pid), handle)
            return dict(changed=True, url=url, pid=process.pid)
        time.sleep(0.1)
    process.kill()
    raise SystemExit('the emulator did not answer within 30 seconds; see %s/emulator.log' % state_dir)


def main(argv):
    if len(argv) == 3 and argv[0] == 'start':
        result = start(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == 'stop':
        result = stop(argv[1])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == '__main__':
    main(sys.argv[1:])
