"""Our PPO for token-level multi-turn trajectories (TRL ships no PPO trainer since 1.13).

A value head on the policy, GAE over policy tokens only (the advantage mask), per-turn process rewards on
each turn's last token, clipped policy and value losses, a k3 KL to a frozen reference, and switches that
turn the advantage mask and the loss mask off to reproduce Agent-R1's ablation. Importing this package
imports torch; ``import agent_gym`` does not.
"""

from agent_gym.baselines.ppo.advantages import gae, masked_mean, masked_whiten
from agent_gym.baselines.ppo.batch import TokenBatch, collate
from agent_gym.baselines.ppo.config import PPOConfig
from agent_gym.baselines.ppo.lm_head import backbone_and_head, masked_logprobs
from agent_gym.baselines.ppo.loop import Collect, latest_checkpoint, load_checkpoint, save_checkpoint, train
from agent_gym.baselines.ppo.losses import kl_penalty, policy_loss, value_loss
from agent_gym.baselines.ppo.reference import Reference
from agent_gym.baselines.ppo.runtime import check_machine
from agent_gym.baselines.ppo.trainer import BatchScores, PPOTrainer, advantage_targets, loss_mask, ppo_losses
from agent_gym.baselines.ppo.value_head import PolicyWithValue, token_logprobs
from agent_gym.utils.divergence import check_finite

__all__ = [
    "BatchScores",
    "Collect",
    "PPOConfig",
    "PPOTrainer",
    "PolicyWithValue",
    "Reference",
    "TokenBatch",
    "advantage_targets",
    "backbone_and_head",
    "check_finite",
    "check_machine",
    "collate",
    "gae",
    "kl_penalty",
    "latest_checkpoint",
    "load_checkpoint",
    "loss_mask",
    "masked_logprobs",
    "masked_mean",
    "masked_whiten",
    "policy_loss",
    "ppo_losses",
    "save_checkpoint",
    "token_logprobs",
    "train",
    "value_loss",
]
