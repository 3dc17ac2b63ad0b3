# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Let ansible-test create its virtual environments when only PyPI is reachable.

ansible-test creates every virtual environment it manages (one per sanity test, and the
one ``--venv`` asks for) without pip, then bootstraps pip with a ``get-pip.py`` script
it downloads from https://ci-files.testing.ansible.com/ and keeps in
``~/.ansible/test/cache/get_pip_<version>.py``. That host is not reachable from our CI,
and ansible-test's own error message says to put the script there by hand.

This writes an equivalent script there when none exists: it installs the pip wheel that
Python's ``ensurepip`` bundles (no network), then uses it to install from the package
index exactly what ansible-test asked for (``pip==<version>``, as get-pip.py would).
An existing script, real or ours, is left alone. Delete the file to undo.

``--home DIR`` writes it under ``DIR/.ansible/test/cache`` instead of the user's home.
ansible-test has no option or environment variable for that cache: the path is
``os.path.expanduser('~/.ansible/test/cache/...')`` in its
``_util/target/setup/requirements.py`` (and ``~/.ansible/test/venv`` for the sanity
virtual environments), so the only way to keep both out of the shared home is to run
ansible-test with ``HOME=DIR``, which tests/scripts/sanity.sh does.
"""

from __future__ import annotations

import argparse
import os
import sys

STAND_IN = '''\
"""Stand-in for get-pip.py, written by apinizer.apiops tests/scripts/ansible_test_pip_bootstrap.py.

Installs the pip that ensurepip bundles, then runs
"pip install --upgrade --force-reinstall <arguments> pip" like get-pip.py does.
Safe to delete: ansible-test downloads the real script when it is missing and reachable.
"""

import argparse
import ensurepip
import os
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--no-setuptools', action='store_true')
    parser.add_argument('--no-wheel', action='store_true')
    options, args = parser.parse_known_args()

    # ensurepip points PIP_CONFIG_FILE at /dev/null in os.environ; the install from the
    # index must see the user's pip configuration (index, certificates, proxy).
    environ = dict(os.environ)
    ensurepip.bootstrap(upgrade=True, default_pip=True)

    packages = ['pip']
    if not options.no_setuptools:
        packages.append('setuptools')
    if not options.no_wheel:
        packages.append('wheel')
    command = [sys.executable, '-m', 'pip', 'install', '--quiet', '--upgrade', '--force-reinstall'] + args + packages
    subprocess.check_call(command, env=environ)

    if options.no_setuptools:
        # Python < 3.12 ensurepip also installs setuptools; get-pip.py would not have.
        subprocess.call([sys.executable, '-m', 'pip', 'uninstall', '--yes', '--quiet', 'setuptools'], env=environ)


if __name__ == '__main__':
    main()
'''


def pip_version():
    """The pip version the installed ansible-test bootstraps into its virtual environments."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_test._internal.python_requirements import get_venv_packages

    class Python:  # pylint: disable=too-few-public-methods
        """The one attribute get_venv_packages() reads."""

        version = '%d.%d' % sys.version_info[:2]

    return get_venv_packages(Python())['pip']


def main():
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--home', default=os.path.expanduser('~'),
                        help='the HOME ansible-test will run with (default: your home directory)')
    args = parser.parse_args()
    version = pip_version()
    path = os.path.join(os.path.abspath(args.home), '.ansible', 'test', 'cache',
                        'get_pip_%s.py' % version.replace('.', '_'))
    if os.path.exists(path):
        print('ansible-test pip %s bootstrap script present: %s' % (version, path))
        return 0
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temp_path = path + '.tmp'
    with open(temp_path, 'w', encoding='utf-8') as handle:
        handle.write(STAND_IN)
    os.replace(temp_path, path)
    print('ansible-test pip %s bootstrap script written: %s' % (version, path))
    return 0


if __name__ == '__main__':
    sys.exit(main())
