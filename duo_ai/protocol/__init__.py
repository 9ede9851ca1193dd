"""The evaluation protocol in one place: which task and which agents each split uses (the
pairing), the base penalty, carrying a fitted coordinator to the test novice, and the
self-describing result of a run (``test_result.json``) that ``duo report`` reads.
"""

from duo_ai.config.schema import SIMULATED_PAIRINGS
from duo_ai.protocol.pairing import make_base_envs, make_coord_envs, pairing_name
from duo_ai.protocol.result import read_result, selected_result, write_result
from duo_ai.protocol.transfer import carry_to_test_novice

__all__ = [
    "SIMULATED_PAIRINGS",
    "carry_to_test_novice",
    "make_base_envs",
    "make_coord_envs",
    "pairing_name",
    "read_result",
    "selected_result",
    "write_result",
]
