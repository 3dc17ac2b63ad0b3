# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Serves the files of a directory over HTTP on 127.0.0.1, for the emulator's parse-from-url to read.

    python serve_jwks.py DIRECTORY STATE_FILE [--lifetime SECONDS]

Binds a free port, writes "PORT PID" to STATE_FILE (the target reads the port and, at its end, stops this process by
its pid), appends the path of every request to STATE_FILE.requests (one a line: how often the URL was read), and stops
by itself after --lifetime seconds (default 900), so that a target that fails before its end leaves nothing running.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import functools
import http.server
import os
import threading


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('directory')
    parser.add_argument('state_file')
    parser.add_argument('--lifetime', type=float, default=900)
    args = parser.parse_args(argv)
    requests_log = args.state_file + '.requests'
    open(requests_log, 'w').close()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            with open(requests_log, 'a') as handle:
                handle.write(self.path + '\n')
            super(Handler, self).do_GET()

        def log_message(self, *args):  # pylint: disable=arguments-differ
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Handler, directory=args.directory))
    partial = args.state_file + '.part'
    with open(partial, 'w') as handle:
        handle.write('%d %d\n' % (server.server_address[1], os.getpid()))
    os.rename(partial, args.state_file)
    threading.Timer(args.lifetime, server.shutdown).start()
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
