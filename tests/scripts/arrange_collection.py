# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Copy the collection into DEST/ansible_collections/apinizer/apiops for ansible-test.

ansible-test only runs from a path ending in ``ansible_collections/<namespace>/<name>``.
This makes a fresh copy (never a symlink) of the files git tracks or would track
(tracked plus untracked-but-not-ignored, minus deleted), so what is tested is the
working tree as it is now. Without git it walks the tree and applies the same
exclusions. The copy gets its own empty git repository so that ansible-test lists
its files from the copy, not from the enclosing checkout (where build/ is ignored).

Usage: python tests/scripts/arrange_collection.py [--dest build]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

NAMESPACE = 'apinizer'
NAME = 'apiops'

# Never copied, whatever git says: virtualenvs, build output, test output, caches.
EXCLUDED_DIRS = frozenset((
    '.git', '.venv', 'venv', 'build', 'dist', '.ansible', '.cache', '.tox',
    '.pytest_cache', '.mypy_cache', '.ruff_cache', '__pycache__',
))
EXCLUDED_PATHS = frozenset((
    'tests/output',
    'tests/integration/integration_config.yml',
))
EXCLUDED_SUFFIXES = ('.pyc', '.pyo', '.retry', '.tar.gz')


def excluded(rel_path):
    """Tell whether a path relative to the collection root must not be copied."""
    parts = rel_path.split('/')
    if any(part in EXCLUDED_DIRS for part in parts):
        return True
    if any('/'.join(parts[:i]) in EXCLUDED_PATHS for i in range(1, len(parts) + 1)):
        return True
    return rel_path.endswith(EXCLUDED_SUFFIXES)


def git_files(root):
    """Files git tracks or would track, or None when root is not a git work tree."""
    def ls_files(*args):
        out = subprocess.run(
            ['git', '-C', root, 'ls-files', '-z'] + list(args),
            check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        ).stdout.decode('utf-8')
        return set(p for p in out.split('\0') if p)

    try:
        inside = subprocess.run(
            ['git', '-C', root, 'rev-parse', '--show-prefix'],
            check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        ).stdout.decode('utf-8').strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    if inside:
        # root is a subdirectory of some other repository: walk instead.
        return None
    files = ls_files('--cached', '--others', '--exclude-standard') - ls_files('--deleted')
    return sorted(files)


def walked_files(root):
    """Every file under root, for a tree that is not a git work tree."""
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = '' if rel_dir == '.' else rel_dir.replace(os.sep, '/')
        dirnames[:] = sorted(d for d in dirnames if not excluded((rel_dir + '/' + d).lstrip('/')))
        files.extend((rel_dir + '/' + f).lstrip('/') for f in filenames)
    return sorted(files)


def arrange(root, dest_root):
    """Copy the collection at root to dest_root/ansible_collections/NAMESPACE/NAME."""
    dest = os.path.join(dest_root, 'ansible_collections', NAMESPACE, NAME)
    if os.path.lexists(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)

    files = git_files(root)
    if files is None:
        files = walked_files(root)

    count = 0
    for rel_path in files:
        if excluded(rel_path):
            continue
        src = os.path.join(root, rel_path)
        if not os.path.lexists(src) or os.path.isdir(src):
            continue
        target = os.path.join(dest, rel_path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        # Symlinks stay symlinks (the symlinks sanity test should see them);
        # regular files keep their mode, so the shebang test sees the executable bit.
        shutil.copy2(src, target, follow_symlinks=False)
        count += 1

    # ansible-test looks for version control upwards from the collection root; an
    # empty repository here stops it at the copy and makes it list the copy's files
    # (with no git at all, ansible-test walks the file system instead).
    try:
        subprocess.run(['git', 'init', '-q', dest], check=True)
    except OSError:
        pass
    return dest, count


def main():
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--dest', default='build', help='directory that receives ansible_collections/ (default: build)')
    parser.add_argument('--root', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'),
                        help='collection root to copy (default: this repository)')
    args = parser.parse_args()

    root = os.path.realpath(args.root)
    dest, count = arrange(root, os.path.abspath(args.dest))
    print('arranged %d files of %s.%s in %s' % (count, NAMESPACE, NAME, os.path.relpath(dest)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
