"""Policies: agents (novice, expert) and coordinators share one interface."""

from duo_ai.policies.base import AgentOutput, AgentPolicy, Policy, PolicyConfig, sample_actions

__all__ = ["AgentOutput", "AgentPolicy", "Policy", "PolicyConfig", "sample_actions"]
