"""Torch models: actor-critics for agents and coordinators, registered by name."""

from duo_ai.models import agents, coordinators  # noqa: F401  (registers the models)
from duo_ai.models.base import ActorCritic, ModelOutput, to_tensor
from duo_ai.models.coordinators import FEATURE_TYPES

__all__ = ["FEATURE_TYPES", "ActorCritic", "ModelOutput", "to_tensor"]
