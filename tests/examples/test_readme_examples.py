# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""readme_examples: what it takes from a Markdown README and an RST guide, and what it refuses."""

from __future__ import annotations

import pytest

from readme_examples import write_examples

RST = """Title
=====

.. example: plays/first.yml
.. code-block:: yaml

    ---
    - name: First
      hosts: localhost

      tasks: []

Text after it.

.. code-block:: console

    $ ansible-playbook plays/first.yml

.. example: second.yml
.. code-block:: yaml

    - name: Second
      hosts: localhost
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding='utf-8')
    return str(path)


def test_rst_examples_are_written_unindented_up_to_the_end_of_their_block(tmp_path):
    examples = write_examples(write(tmp_path, 'guide.rst', RST), str(tmp_path / 'out'))

    assert examples == {'plays/first.yml': '---\n- name: First\n  hosts: localhost\n\n  tasks: []\n',
                        'second.yml': '- name: Second\n  hosts: localhost\n'}
    assert (tmp_path / 'out' / 'plays' / 'first.yml').read_text(encoding='utf-8') == examples['plays/first.yml']


def test_an_unmarked_rst_yaml_block_is_refused(tmp_path):
    text = RST + '\n.. code-block:: yaml\n\n    - name: Untested\n'

    with pytest.raises(ValueError, match=r'guide.rst: 3 yaml block\(s\), 2 marked with \.\. example: PATH; mark every'):
        write_examples(write(tmp_path, 'guide.rst', text), str(tmp_path / 'out'))


def test_a_marker_not_right_above_its_block_is_refused(tmp_path):
    text = RST.replace('.. example: second.yml\n.. code-block:: yaml', '.. example: second.yml\n\n.. code-block:: yaml')

    with pytest.raises(ValueError, match='2 yaml block'):
        write_examples(write(tmp_path, 'guide.rst', text), str(tmp_path / 'out'))


def test_a_marker_without_its_block_is_refused(tmp_path):
    text = RST + '\n.. example: third.yml\n\nNo block here.\n'

    with pytest.raises(ValueError, match='3 example marker\\(s\\), 2 right above a yaml block'):
        write_examples(write(tmp_path, 'guide.rst', text), str(tmp_path / 'out'))


def test_rst_examples_outside_the_directory_or_twice_are_refused(tmp_path):
    with pytest.raises(ValueError, match='must be a relative path'):
        write_examples(write(tmp_path, 'a.rst', RST.replace('second.yml', '../second.yml')), str(tmp_path / 'out'))
    with pytest.raises(ValueError, match='two examples are named second.yml'):
        write_examples(write(tmp_path, 'b.rst', RST.replace('plays/first.yml', 'second.yml')), str(tmp_path / 'out'))


def test_markdown_still_works_and_refuses_unmarked_blocks(tmp_path):
    markdown = '# T\n\n<!-- example: a.yml -->\n```yaml\n- name: A\n```\n'

    assert write_examples(write(tmp_path, 'README.md', markdown), str(tmp_path / 'out')) == {'a.yml': '- name: A\n'}
    with pytest.raises(ValueError, match='2 yaml block'):
        write_examples(write(tmp_path, 'README.md', markdown + '\n```yaml\n- name: B\n```\n'), str(tmp_path / 'out'))
