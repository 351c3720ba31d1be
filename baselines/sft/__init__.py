"""SFT warm start: teacher episodes collected in the env, trained on with TRL's ``SFTTrainer`` (loss on policy tokens)."""

from agent_gym.baselines.sft.data import TeacherTokens, collect_teacher_rows
from agent_gym.baselines.sft.recipe import SFTRecipe, train_sft

__all__ = ["SFTRecipe", "TeacherTokens", "collect_teacher_rows", "train_sft"]
