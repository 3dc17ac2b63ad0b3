# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.apinizer.apiops.plugins.module_utils import _validation
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput


def test_read_input_file_gives_the_bytes(tmp_path):
    path = tmp_path / 'cert.pem'
    path.write_bytes(b'-----BEGIN CERTIFICATE-----\n')
    assert _validation.read_input_file(str(path), 'certificate_path') == b'-----BEGIN CERTIFICATE-----\n'


@pytest.mark.parametrize('name, content, message', [
    ('missing', None, 'certificate_path: cannot read {path}: No such file or directory.'),
    ('empty', b' \n', 'certificate_path: {path} is empty.'),
    ('large', b'A' * (_validation.MAX_INPUT_FILE_BYTES + 1),
     'certificate_path: {path} is larger than 1048576 bytes; certificates and keys are a few kilobytes, so this is '
     'probably not the intended file.'),
])
def test_read_input_file_refusals(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InvalidInput) as excinfo:
        _validation.read_input_file(str(path), 'certificate_path')
    assert str(excinfo.value) == message.format(path=path)


def test_read_input_file_refuses_a_directory(tmp_path):
    with pytest.raises(InvalidInput, match='certificate_path: cannot read .*: Is a directory.'):
        _validation.read_input_file(str(tmp_path), 'certificate_path')


def test_read_input_file_refuses_a_nul_character_in_the_path():
    """Found by the fuzz tests: open() raised ValueError (embedded null byte), which no caller expected."""
    with pytest.raises(InvalidInput) as excinfo:
        _validation.read_input_file('cert\x00.pem', 'private_key_path')
    assert str(excinfo.value) == "private_key_path: 'cert\\x00.pem' is not a file name: it holds a NUL character."
