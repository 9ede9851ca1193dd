"""Ask the expert when the novice's situation looks out of distribution.

A PyOD detector (DeepSVDD by default, any PyOD detector by name) is fitted on the novice's
features from novice-only rollouts of the training split. PyOD scores are higher for more
abnormal samples; this policy negates them into a confidence, so, as with ``logit``, it asks
the expert when the confidence is below ``threshold``.

Checkpoints stay free of pickles: they store the fitted-on features, and loading refits the
detector with the same seed (deterministic on CPU), instead of unpickling a fitted object.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from duo_ai import registry
from duo_ai.config import param
from duo_ai.errors import ConfigError
from duo_ai.models.coordinators import FEATURE_TYPES
from duo_ai.policies.base import Observation, ThresholdConfig, ThresholdPolicy

logger = logging.getLogger("duo_ai")

# PyOD detector class -> module in pyod.models (the common ones; others: give "module.Class").
DETECTOR_MODULES = {
    "DeepSVDD": "deep_svdd",
    "IForest": "iforest",
    "KNN": "knn",
    "LOF": "lof",
    "OCSVM": "ocsvm",
    "ECOD": "ecod",
    "COPOD": "copod",
    "PCA": "pca",
    "HBOS": "hbos",
    "GMM": "gmm",
}


def make_detector(name: str, num_features: int, seed: int, kwargs: dict[str, Any]) -> Any:
    module_name, _, class_name = name.rpartition(".")
    module_name = module_name or DETECTOR_MODULES.get(class_name, "")
    if not module_name:
        raise ConfigError(
            f"policy.detector: unknown PyOD detector '{name}'; valid: {', '.join(DETECTOR_MODULES)} "
            "or 'module.Class' for any other pyod.models detector"
        )
    try:
        cls = getattr(importlib.import_module(f"pyod.models.{module_name}"), class_name)
    except (ImportError, AttributeError):
        raise ConfigError(
            f"policy.detector: pyod.models.{module_name} has no detector {class_name}"
        ) from None
    from pyod.models.base import BaseDetector

    if not (isinstance(cls, type) and issubclass(cls, BaseDetector)):  # a checkpoint names it: any
        raise ConfigError(f"policy.detector: pyod.models.{module_name}.{class_name} is not a PyOD detector")
    accepted = inspect.signature(cls).parameters
    unknown = [key for key in kwargs if key not in accepted]
    if unknown:
        raise ConfigError(
            f"policy.detector_kwargs: {class_name} takes no {', '.join(unknown)}; it takes {', '.join(accepted)}"
        )
    extra = {"n_features": num_features, "verbose": 0} if class_name == "DeepSVDD" else {}
    if "random_state" in accepted:
        extra["random_state"] = seed
    try:
        return cls(**{**extra, **kwargs})
    except (TypeError, ValueError) as error:
        raise ConfigError(f"policy.detector_kwargs: {class_name} refused {kwargs}: {error}") from None


@dataclass
class OODConfig(ThresholdConfig):
    feature_type: str = param("hidden", "novice features the detector sees", choices=FEATURE_TYPES)
    detector: str = param("DeepSVDD", "PyOD detector class")
    detector_kwargs: dict[str, Any] = param({}, "keyword arguments of the detector")
    seed: int = param(0, "detector seed (refits are identical)", min=0)
    max_fit_samples: int = param(4096, "at most this many rollout states are fitted on", min=2)
    threshold: float = param(
        0.0, "ask the expert when confidence (-PyOD score) is below this (-inf: never)", infinite=True
    )


@registry.register_policy("ood")
class OODPolicy(ThresholdPolicy):
    config_class = OODConfig

    def __init__(self, config: OODConfig, env, device="cpu"):
        self.parts = config.feature_type.split("_")
        super().__init__(config, env, device)
        self.detector: Any = None
        self.fit_features: np.ndarray | None = None

    def required_keys(self) -> list[str]:
        needed = {"hidden": "novice_hidden", "dist": "novice_logits"}
        return [needed[part] for part in self.parts if part in needed]

    def features(self, obs: Observation) -> np.ndarray:
        joined = []
        if "obs" in self.parts:
            base = np.asarray(obs["base_obs"], dtype=np.float32)
            joined.append(base.reshape(len(base), -1))
        if "hidden" in self.parts:
            joined.append(np.asarray(obs["novice_hidden"], dtype=np.float32))
        if "dist" in self.parts:
            joined.append(torch.softmax(torch.as_tensor(obs["novice_logits"]).float(), -1).numpy())
        return np.concatenate(joined, axis=1)

    def fit(self, observations: list[Observation]) -> None:
        features = np.concatenate([self.features(obs) for obs in observations])
        if len(features) > self.config.max_fit_samples:
            keep = np.random.default_rng(self.config.seed).choice(
                len(features), self.config.max_fit_samples, replace=False
            )
            features = features[np.sort(keep)]
        self._fit(features)
        scores = self.detector.decision_function(features)
        if np.ptp(scores) == 0:
            logger.warning(
                "OOD detector %s gives one score to every sample: it has collapsed", self.config.detector
            )

    def _fit(self, features: np.ndarray) -> None:
        self.fit_features = features.astype(np.float32)
        self.detector = make_detector(
            self.config.detector, features.shape[1], self.config.seed, dict(self.config.detector_kwargs)
        )
        try:
            self.detector.fit(self.fit_features)
        except ValueError as error:
            raise RuntimeError(
                f"OOD detector {self.config.detector} could not be fitted on {len(features)} novice states: {error}"
            ) from None

    def score(self, obs: Observation) -> np.ndarray:
        if self.detector is None:
            raise RuntimeError("the OOD detector is not fitted: train with algorithm.name=ood")
        return -self.detector.decision_function(self.features(obs))

    def get_params(self) -> dict[str, Any]:
        params = super().get_params()
        if self.fit_features is not None:
            params["fit_features"] = torch.from_numpy(self.fit_features)
        return params

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        if "fit_features" in params and self.fit_features is None:
            self._fit(params["fit_features"].numpy())
