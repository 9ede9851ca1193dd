"""Training algorithms for agents and coordinators."""

from duo_ai.algorithms.base import Algorithm, AlgorithmConfig, Validation

__all__ = ["Algorithm", "AlgorithmConfig", "Validation"]
