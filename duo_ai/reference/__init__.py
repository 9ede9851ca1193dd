"""Coming from the reference implementation (duo-ai 1.0.1): its checkpoints and its config keys."""

from duo_ai.reference.checkpoints import converted_policy, read_reference_checkpoint

__all__ = ["converted_policy", "read_reference_checkpoint"]
