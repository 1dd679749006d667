"""The channel adapters and the process that runs them.

aiogram is imported here first, with its models built on first use, so that every entry point
(the run command, the tests, the benchmarks) gets the smaller process; see bots/aiogram_models.py.
"""

from bots.aiogram_models import import_aiogram_with_models_built_on_first_use

import_aiogram_with_models_built_on_first_use()
