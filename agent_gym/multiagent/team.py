"""TeamToolEnv: a searcher and an answerer solve one ToolEnv task together (a PettingZoo ``ParallelEnv``).

Env card (generic; ``MultiHopQATeam-v0`` is this env over ``MultiHopQA-v0``)
--------------------------------------------------------------------------
- **Agents**: ``searcher_0`` holds the tools of the wrapped single-agent :class:`~agent_gym.tools.env.ToolEnv`;
  ``answerer_0`` holds none (an :class:`~agent_gym.multiagent.answerer.AnswererEnv`).
- **Protocol** (turn-taking, one agent acts per round): the searcher plays the single-agent episode verbatim;
  its final answer is its *report*, delivered to the answerer as ``"Report from searcher_0:\\n<report>"``
  (or a notice when it runs out of turns without one). Then the answerer answers from that report. The agent
  whose turn it is has ``info[agent]["acting"] = True``; the other agent's action is ignored (it may be left
  out of ``actions``). Both agents stay live until the answerer's episode ends, so both can be paid.
- **Observation** (per agent): ``{"history": <that agent's chat history>}``, a ``gymnasium.spaces.Dict``
  holding a :class:`~agent_gym.spaces.History`. The dict is there for PettingZoo's AEC ``api_test``, which
  only accepts non-array observations inside a ``Dict`` space (and checks dtypes under an ``"observation"``
  key, which is why the key is ``"history"``). Each history is append-only.
- **Action** (per agent): one assistant turn, a str or an assistant message dict (``AssistantTurn``).
- **Reward** (per agent, per round): that agent's own process components, scored by the wrapped env's rubric
  on that agent's own turns, plus the **shared outcome**: ``weight("outcome") * score_answer(answer)[metric]``
  of the answerer's final answer, paid to both agents on the last round. The rubric's own ``outcome``
  component is replaced by the shared one for both agents (so the searcher is not paid for its report's
  wording). ``info[agent]["reward_components"]`` always sums to ``rewards[agent]``.
- **Termination**: both agents terminate when the answerer answers, and are truncated when the answerer runs
  out of turns. The searcher running out of turns hands over to the answerer.
- **Seeding**: ``reset(seed=s)`` resets the wrapped env with ``s``, so the team gets the same task as the
  single-agent env with seed ``s``; all randomness (task sampling, tool noise) comes from its ``np_random``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from gymnasium import spaces
from pettingzoo import ParallelEnv

from agent_gym.errors import ConfigError, InvalidActionError, ResetNeeded
from agent_gym.multiagent.answerer import AnswererEnv
from agent_gym.rewards import StepOutcome
from agent_gym.rewards.components import outcome as outcome_component
from agent_gym.spaces import AssistantTurn, History
from agent_gym.tools.env import ToolEnv
from agent_gym.tools.formats import Action
from agent_gym.types import ParsedTurn

__all__ = ["ANSWERER", "NO_REPORT", "REPORT", "SEARCHER", "SEARCHER_NOTE", "TeamObs", "TeamToolEnv"]

SEARCHER = "searcher_0"
ANSWERER = "answerer_0"
REPORT = "Report from {sender}:\n{report}"
"""How the searcher's report reaches the answerer (a ``user`` message)."""
NO_REPORT = "{sender} ran out of turns without sending a report. Answer as well as you can."
"""What the answerer reads when the searcher sent no report."""
SEARCHER_NOTE = (
    "You are the searcher of a two-agent team. Your teammate, the answerer, holds no tools and sees none of "
    "your searches: it reads only your final answer, as your report. Give as your final answer the answer to "
    "the question, briefly."
)
"""Appended to the wrapped env's instructions, so the searcher knows who reads its final answer."""

TeamObs = dict[str, Any]
"""One agent's observation: ``{"history": tuple of chat-message dicts}``."""


class TeamToolEnv(ParallelEnv[str, TeamObs, Action]):
    """Two agents share one task of a wrapped ToolEnv: a searcher with its tools, an answerer without.

    Args:
        searcher_env: The single-agent env the searcher plays; its tools, format, noise, rubric and
            ``np_random`` do all the work. The team env owns it from now on (``close`` closes it).
        answerer_max_turns: Turns the answerer gets after the report.
        answerer_instructions: System-prompt instructions of the answerer (None: the default).
        searcher_note: Text appended to the searcher env's instructions ("" for none).
        name: The PettingZoo name (``metadata["name"]``), e.g. ``"multihopqa_team_v0"``.
        render_mode: ``"ansi"``, ``"human"`` or None.
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "tool_team_v0", "render_modes": ["ansi", "human"], "is_parallelizable": True}
    possible_agents: list[str]  # [searcher_0, answerer_0]
    agents: list[str]  # both until the episode ends, then none
    observation_spaces: dict[str, spaces.Dict]  # {"history": History} per agent; the same object every call
    action_spaces: dict[str, AssistantTurn]  # one assistant turn per agent

    def __init__(
        self,
        searcher_env: ToolEnv,
        *,
        answerer_max_turns: int = 2,
        answerer_instructions: str | None = None,
        searcher_note: str = SEARCHER_NOTE,
        name: str | None = None,
        render_mode: str | None = None,
    ):
        if not isinstance(searcher_env, ToolEnv):
            raise ConfigError(f"searcher_env must be a ToolEnv (e.g. gym.make(id).unwrapped), got {type(searcher_env).__name__}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        if searcher_note and not searcher_env.instructions.endswith(searcher_note):  # once, even if wrapped twice
            searcher_env.instructions = f"{searcher_env.instructions}\n\n{searcher_note}"
        self.metadata = {**type(self).metadata, "name": name or type(self).metadata["name"]}
        self.render_mode = render_mode
        self.searcher_env = searcher_env
        self.answerer_env = AnswererEnv(searcher_env, max_turns=answerer_max_turns, instructions=answerer_instructions)
        self._envs: dict[str, ToolEnv] = {SEARCHER: searcher_env, ANSWERER: self.answerer_env}
        self.possible_agents = [SEARCHER, ANSWERER]
        self.agents = []
        # One space for both agents (PettingZoo's API test wants them equal): wide enough for either history.
        history = History(
            max_messages=max(env.observation_space.max_messages for env in self._envs.values()),
            max_content_length=max(env.observation_space.max_content_length for env in self._envs.values()),
        )
        self.observation_spaces = {a: spaces.Dict({"history": history}) for a in self._envs}
        self.action_spaces = {a: env.action_space for a, env in self._envs.items()}
        self._acting = SEARCHER
        self._round = 0

    # -- PettingZoo API -------------------------------------------------------------------------------------

    def observation_space(self, agent: str) -> spaces.Dict:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> AssistantTurn:
        return self.action_spaces[agent]

    @property
    def np_random(self) -> Any:
        """The team's only random generator: the searcher env's ``np_random``."""
        return self.searcher_env.np_random

    @property
    def acting_agent(self) -> str | None:
        """The agent whose action counts this round (None when the episode is over)."""
        return self._acting if self.agents else None

    def tool_schemas(self, agent: str) -> list[dict[str, Any]]:
        """The agent's tools as an OpenAI ``tools=`` list (empty for the answerer)."""
        return self._envs[agent].tool_schemas

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict[str, TeamObs], dict[str, dict]]:
        search_history, search_info = self.searcher_env.reset(seed=seed, options=options)
        answer_history, answer_info = self.answerer_env.reset(seed=seed)
        self.agents = list(self.possible_agents)
        self._acting = SEARCHER
        self._round = 0
        observations = {SEARCHER: {"history": search_history}, ANSWERER: {"history": answer_history}}
        infos = {
            SEARCHER: {**search_info, "role": "searcher", "acting": True},
            ANSWERER: {**answer_info, "role": "answerer", "acting": False},
        }
        return observations, infos

    def step(
        self, actions: Mapping[str, Action]
    ) -> tuple[dict[str, TeamObs], dict[str, float], dict[str, bool], dict[str, bool], dict[str, dict]]:
        """Play the acting agent's turn; the other agent's action, if any, is ignored.

        Raises:
            ResetNeeded: the episode is over or was never started.
            InvalidActionError: an action for an agent that is not live, an action that is neither a str nor a
                dict, or no action for the acting agent. Strings of any content never raise.
        """
        self._check_actions(actions)
        acting = self._acting
        self._round += 1
        _, _, terminated, truncated, step_info = self._envs[acting].step(actions[acting])
        if acting == SEARCHER and (terminated or truncated):
            report = step_info["answer"]
            message = NO_REPORT.format(sender=SEARCHER) if report is None else REPORT.format(sender=SEARCHER, report=report)
            self.answerer_env.receive(message)
            self._acting = ANSWERER
        over = acting == ANSWERER and (terminated or truncated)
        metrics = step_info["metrics"] if acting == ANSWERER else {}
        outcome = self._shared_outcome(metrics) if over and terminated else 0.0

        observations: dict[str, TeamObs] = {}
        rewards: dict[str, float] = {}
        infos: dict[str, dict[str, Any]] = {}
        for agent, env in self._envs.items():
            own = step_info if agent == acting else {"reward_components": dict.fromkeys(env.rubric.names, 0.0)}
            components = dict(own["reward_components"])
            if "outcome" in components:
                components["outcome"] = outcome
            observations[agent] = {"history": env.history}
            rewards[agent] = float(sum(components.values()))
            infos[agent] = {
                **own,
                "role": agent.rsplit("_", 1)[0],
                "acting": (agent == self._acting) and not over,
                "round": self._round,
                "reward_components": components,
                "team_outcome": outcome,
                "team_metrics": metrics if over else {},
            }
        terminations = dict.fromkeys(self.agents, over and terminated)
        truncations = dict.fromkeys(self.agents, over and truncated)
        if over:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | None:
        text = "\n\n".join(f"=== {agent} ===\n{env.render()}" for agent, env in self._envs.items())
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        """Close both agents' envs; calling it again does nothing, and ``reset`` may follow."""
        for env in self._envs.values():
            env.close()
        self.agents = []

    # -- helpers --------------------------------------------------------------------------------------------

    def _check_actions(self, actions: Mapping[str, Action]) -> None:
        if not self.agents:
            raise ResetNeeded("the episode is over (or never started); call env.reset() before env.step()")
        if not isinstance(actions, Mapping):
            raise InvalidActionError(f"actions must be a dict {{agent: action}}, got {type(actions).__name__}")
        for agent, action in actions.items():
            if agent not in self.agents:
                raise InvalidActionError(f"got an action for {agent!r}, which is not live; live agents: {self.agents}")
            if not isinstance(action, str | Mapping):
                raise InvalidActionError(
                    f"the action of {agent!r} must be a str or an assistant message dict, got {type(action).__name__}"
                )
        if self._acting not in actions:
            raise InvalidActionError(
                f"it is the turn of {self._acting!r}, but actions has no entry for it (got {sorted(actions)}); "
                "see env.acting_agent or info[agent]['acting']"
            )

    def _shared_outcome(self, metrics: Mapping[str, float]) -> float:
        """The single-agent ``outcome`` component's rule over the team's turns: the answer's score if every turn of
        both agents was well formed, else ``format_score - 1`` (:func:`agent_gym.rewards.components.outcome`)."""
        weight = self.searcher_env.rubric.weights.get("outcome", 0.0)
        envs = (self.searcher_env, self.answerer_env)
        turns = sum(env._turn for env in envs)
        format_score = sum(env._well_formed_turns for env in envs) / turns if turns else 1.0
        step = StepOutcome(
            turn=turns,
            parsed=ParsedTurn(),
            done=True,
            format_score=format_score,
            answer_score=float(metrics.get(self.searcher_env.outcome_metric, 0.0)),
        )
        return float(weight * outcome_component(step))
