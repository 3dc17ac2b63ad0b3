# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make test: the steps in lanes that run side by side, each lane's steps one after the other.

    python tests/scripts/run_steps.py --log-dir DIR --lane 'STEP STEP ...' [--lane ...] [-- MAKE ARGS...]

Each step is `$MAKE STEP MAKE_ARGS` with its output in DIR/STEP.log; that log is printed whole when the step ends, so
the output of two lanes never interleaves. Every step runs, even after a failure. Last comes the summary: each step
with its lane, result and seconds. Exit status 1 when a step failed.

Two lanes fit a 2-core machine: most steps keep one core busy (one ansible-playbook at a time). Steps of different
lanes must not share a build tree: the Makefile gives each ansible-core (CORE) and each server variant (VARIANT) its
own under build/.
"""

import argparse
import os
import subprocess
import sys
import threading
import time


class Step:
    def __init__(self, name, lane):
        self.name = name
        self.lane = lane
        self.result = 'not run'
        self.seconds = 0


def run_lane(steps, make, make_args, log_dir, print_lock):
    for step in steps:
        log = os.path.join(log_dir, step.name + '.log')
        with print_lock:
            print('==> lane %d: %s started at %s (output: %s)' % (step.lane, step.name, time.strftime('%H:%M:%S'), log),
                  flush=True)
        started = time.monotonic()
        with open(log, 'wb') as out:
            rc = subprocess.run(make + [step.name] + make_args, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, check=False).returncode
        step.seconds = int(time.monotonic() - started)
        step.result = 'passed' if rc == 0 else 'FAILED'
        with print_lock, open(log, 'rb') as handle:
            print('\n==> lane %d: %s %s in %d s; its output:' % (step.lane, step.name, step.result, step.seconds),
                  flush=True)
            sys.stdout.buffer.write(handle.read())
            print('==> end of %s (%s)\n' % (step.name, step.result), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--log-dir', required=True)
    parser.add_argument('--lane', action='append', required=True, help='steps, separated by spaces')
    parser.add_argument('make_args', nargs='*')
    args = parser.parse_args()
    make = (os.environ.get('MAKE') or 'make').split()
    os.makedirs(args.log_dir, exist_ok=True)
    lanes = [[Step(name, number) for name in lane.split()] for number, lane in enumerate(args.lane, 1)]
    print_lock = threading.Lock()
    threads = [threading.Thread(target=run_lane, args=(lane, make, args.make_args, args.log_dir, print_lock))
               for lane in lanes]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print('==> make test summary (%d lanes side by side, %d s in all)' % (len(lanes), time.monotonic() - started))
    steps = [step for lane in lanes for step in lane]
    for step in steps:
        print('  %-17s lane %d  %-7s %5ss' % (step.name, step.lane, step.result, step.seconds))
    failed = [step.name for step in steps if step.result != 'passed']
    if failed:
        print('failed steps: %s' % ' '.join(failed))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
