"""TRL's own tool loop drives an agent-gym env through ``environment_factory`` (one step, tiny model)."""

import math
import os

import pytest

import agent_gym  # noqa: F401
from agent_gym.integrations.trl import environment_factory, environment_reward

pytestmark = pytest.mark.slow

TOOL_TEMPLATE = (
    "{% if tools %}<|im_start|>system\n{% for t in tools %}{{ t | tojson }}\n{% endfor %}<|im_end|>\n{% endif %}"
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
    "{% for c in m.get('tool_calls') or [] %}<tool_call>{{ c['function'] | tojson }}</tool_call>{% endfor %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_grpo_trainer_runs_with_the_environment_factory_adapter(make_lm, make_tokenizer, tmp_path):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer
    from trl.chat_template_utils import qwen3_template

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    tokenizer = make_tokenizer()
    tokenizer.chat_template = TOOL_TEMPLATE  # TRL needs a template that renders tool calls...
    tokenizer.response_template = qwen3_template  # ...and a parser for them (Hermes-style <tool_call>)
    tokenizer.padding_side = "left"
    dataset = Dataset.from_list([{"prompt": [{"role": "user", "content": ""}], "task_index": i} for i in range(4)])
    config = GRPOConfig(
        output_dir=str(tmp_path),
        max_steps=1,
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        use_cpu=True,
        bf16=False,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
    )
    trainer = GRPOTrainer(
        model=make_lm(0),
        reward_funcs=[environment_reward],
        args=config,
        train_dataset=dataset,
        processing_class=tokenizer,
        environment_factory=environment_factory("KeyValueLookup-v0", hops=1, tool_format="openai", reward="process"),
    )
    assert [tool.__name__ for tool in trainer.tools] == ["lookup"]  # the env's tool, and nothing else
    trainer.train()
    log = next(row for row in trainer.state.log_history if "loss" in row)
    assert math.isfinite(log["loss"])
    returns = [environment._return for environment in trainer.environments]
    assert log["reward"] == pytest.approx(sum(returns) / len(returns), abs=1e-6)
    assert all(r < 0 for r in returns)  # a random model's turns are malformed: the env's process penalties apply
