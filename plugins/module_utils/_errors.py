# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""The collection's exception types. module_utils raise them; only _module turns them into a task result."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class CollectionError(Exception):
    """Base of every error a module reports as its result. The message never holds a secret."""

    def __init__(self, message):
        super(CollectionError, self).__init__(message)
        self.message = message

    def set_message(self, message):
        self.message = message
        self.args = (message,)

    def __str__(self):
        return self.message

    def result_fields(self):
        """Extra fields of the failed task result."""
        return {}


class InvalidInput(CollectionError, ValueError):
    """Input refused before any request; the message names the option and the fix."""
