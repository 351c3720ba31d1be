"""ToolEnv: the generic step of a tool-using agent env.

One step is: parse the turn (a :class:`~agent_gym.tools.formats.ToolFormat`) → validate each call →
run it (the :class:`~agent_gym.tools.tool.Tool` reports *what happened*) → perturb it (the seeded
:class:`~agent_gym.noise.NoiseModel`) → interpret it (:meth:`ToolEnv.interpret` says *what it means*: the
tool message, state updates, reward signals) → score the step (the :class:`~agent_gym.rewards.Rubric`) →
append to the history. Nothing in a step raises because of what the model wrote.

A subclass provides :meth:`ToolEnv.sample_task` and, usually, :meth:`ToolEnv.score_answer` and
:meth:`ToolEnv.interpret`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agent_gym.core import AgentEnv
from agent_gym.errors import ConfigError, did_you_mean
from agent_gym.failures import failure_from_exception
from agent_gym.noise import NoiseModel
from agent_gym.rewards import Component, Rubric, StepOutcome
from agent_gym.tools.door import read_action, too_many_calls
from agent_gym.tools.formats import Action, OpenAIFormat, ToolFormat, get_format, openai_tool_schemas
from agent_gym.tools.tool import Tool, validate_arguments
from agent_gym.types import ChatHistory, ParsedTurn, Task, ToolCall, ToolFailure, ToolOutput, ToolResult

__all__ = ["Interpretation", "ToolEnv", "render_output"]

_NATIVE_CALLS = OpenAIFormat()


class Interpretation(BaseModel):
    """What the env makes of one tool result."""

    model_config = ConfigDict(frozen=True)

    content: str
    """Text of the tool message the model sees."""
    signals: dict[str, float] = Field(default_factory=dict)
    """Named facts for reward components (summed over the turn's calls)."""


def render_output(output: ToolOutput) -> str:
    """Default text of a tool output: its content, then its items numbered from 1.

    Example:
        >>> from agent_gym.types import ResultItem
        >>> print(render_output(ToolOutput(items=(ResultItem(text="a"), ResultItem(text="b")))))
        [1] a
        [2] b
    """
    parts = [output.content] if output.content else []
    parts += [f"[{i}] {item.text}" for i, item in enumerate(output.items, 1)]
    return "\n".join(parts) if parts else "(no results)"


class ToolEnv(AgentEnv):
    """An :class:`AgentEnv` whose turns call tools and end with an answer.

    Args:
        tools: The tools the model may call.
        tool_format: Name of the call syntax (``hermes``, ``openai``, ``search_r1``, ``react``) or a ToolFormat.
        reward: Rubric preset name (``outcome``, ``process``), ``{component: weight}``, or a Rubric.
        noise: Noise preset name (``off``, ``light``, ``heavy``), a dict of NoiseModel fields, or a NoiseModel.
        max_turns: Turns after which the episode is truncated.
        max_tool_calls_per_turn: Calls beyond this in one turn are not run; the turn gets one ``too_many_calls``
            failure. With ``max_turns`` it bounds the history: ``2 + max_turns * (max_tool_calls_per_turn + 2)``.
        max_action_chars: Longer actions are cut to this length (and penalised by ``overlong``).
        instructions: Task instructions placed before the tool description in the system prompt.
        render_mode: ``"ansi"``, ``"human"`` or None.
    """

    reward_components: ClassVar[Mapping[str, tuple[Component, float]]] = {}
    """Env-specific components and their weights, added to the ``process`` preset."""
    outcome_metric: ClassVar[str] = "em"
    """Key of :meth:`score_answer`'s result that the ``outcome`` component pays."""
    default_instructions: ClassVar[str] = "Solve the task. Use the tools when they help."
    splits: ClassVar[tuple[str, ...]] = ()
    """Data splits the constructor's ``split=`` takes (e.g. ``("train", "dev")``); () when tasks are generated."""

    def __init__(
        self,
        tools: Sequence[Tool],
        *,
        tool_format: str | ToolFormat = "hermes",
        reward: str | Rubric | Mapping[str, float] = "outcome",
        noise: str | NoiseModel | dict | None = None,
        max_turns: int = 8,
        max_tool_calls_per_turn: int = 4,
        max_action_chars: int = 8192,
        instructions: str | None = None,
        render_mode: str | None = None,
    ):
        if max_turns < 1 or max_tool_calls_per_turn < 1:
            raise ConfigError(
                f"max_turns and max_tool_calls_per_turn must be >= 1, got {max_turns} and {max_tool_calls_per_turn}"
            )
        super().__init__(
            max_action_chars=max_action_chars,
            max_messages=self.history_bound(max_turns, max_tool_calls_per_turn),
            render_mode=render_mode,
        )
        names = [t.name for t in tools]
        if len(set(names)) != len(names):
            raise ConfigError(f"tool names must be unique, got {names}")
        for t in tools:
            if not isinstance(t, Tool):
                raise ConfigError(f"{t!r} is not a Tool: it needs name, description, parameters and run(arguments)")
        self.tools: dict[str, Tool] = {t.name: t for t in tools}
        self.format: ToolFormat = get_format(tool_format)
        self.rubric: Rubric = Rubric.resolve(reward, extra=self.reward_components)
        self.noise: NoiseModel = NoiseModel.resolve(noise)
        self.max_turns = max_turns
        self.max_tool_calls_per_turn = max_tool_calls_per_turn
        self.instructions = instructions if instructions is not None else self.default_instructions
        self._executor: ThreadPoolExecutor | None = None
        self._task: Task | None = None
        self._turn = 0
        self._well_formed_turns = 0
        self._seen_calls: set[str] = set()

    @staticmethod
    def history_bound(max_turns: int, max_tool_calls_per_turn: int) -> int:
        """Most messages a history can hold: system and task, then per turn the assistant message, one tool
        message per call run and one feedback message."""
        return 2 + max_turns * (max_tool_calls_per_turn + 2)

    # -- hooks for subclasses ---------------------------------------------------------------------------------

    def sample_task(self, options: Mapping[str, Any]) -> Task:
        """Choose the episode's task (draw only from ``self.np_random``) and set up hidden state."""
        raise NotImplementedError(f"{type(self).__name__} must implement sample_task(options)")

    def score_answer(self, answer: str) -> dict[str, float]:
        """Outcome metrics of a final answer, each in [0, 1]; ``outcome_metric`` names the one rewarded."""
        return {}

    def interpret(self, call: ToolCall, result: ToolResult) -> Interpretation:
        """Turn a result into the tool message's text and reward signals; update hidden state here."""
        if result.failure is not None:
            return Interpretation(content=f"Error ({result.failure.kind}): {result.failure.message}")
        return Interpretation(content=render_output(result.output or ToolOutput()))

    def step_info(self) -> dict[str, Any]:
        """Extra JSON-serialisable ``info`` for every step (e.g. what was retrieved so far)."""
        return {}

    # -- gymnasium API --------------------------------------------------------------------------------------

    @property
    def tool_schemas(self) -> list[dict[str, Any]]:
        """The tools as an OpenAI ``tools=`` list (for chat templates and OpenAI-compatible servers)."""
        return openai_tool_schemas(list(self.tools.values()))

    @property
    def system_prompt(self) -> str:
        return f"{self.instructions}\n\n{self.format.render_tools(list(self.tools.values()))}"

    @property
    def num_tasks(self) -> int | None:
        """How many tasks ``reset(options={"index": i})`` can select; None when any index makes a task."""
        return None

    @property
    def task(self) -> Task | None:
        """The current task (hidden facts included); None before the first reset."""
        return self._task

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[ChatHistory, dict[str, Any]]:
        super().reset(seed=seed)
        self._task = self.sample_task(dict(options or {}))
        self._turn = 0
        self._well_formed_turns = 0
        self._seen_calls = set()
        self._start([{"role": "system", "content": self.system_prompt}, {"role": "user", "content": self._task.prompt}])
        info = {
            "task_id": self._task.id,
            "tools": list(self.tools),
            "tool_format": self.format.name,
            "max_turns": self.max_turns,
            **self._task.info,
        }
        return self._observation(), info

    def step(self, action: Action) -> tuple[ChatHistory, float, bool, bool, dict[str, Any]]:
        self._check_can_step()
        # Read the action before touching any state: a rejected action (wrong type) changes nothing.
        message, truncated_action, to_parse, refused = read_action(
            action, max_action_chars=self.max_action_chars, max_calls=self.max_tool_calls_per_turn
        )
        self._turn += 1
        self._append(message)
        parsed = self._parse(to_parse, refused)
        answered = parsed.answer is not None
        # A turn that answers ends the episode; calls in it are not run.
        results, signals, repeated = ((), {}, 0) if answered else self._run_calls(parsed.tool_calls)
        feedback = self._feedback(parsed)
        if feedback:
            self._append({"role": "user", "content": self._clip(feedback)})

        self._well_formed_turns += parsed.well_formed
        terminated = answered
        truncated = not terminated and self._turn >= self.max_turns
        self._episode_over = terminated or truncated
        metrics = self.score_answer(parsed.answer) if answered else {}
        outcome = StepOutcome(
            turn=self._turn,
            parsed=parsed,
            results=results,
            repeated_calls=repeated,
            action_truncated=truncated_action,
            done=self._episode_over,
            answer_score=metrics.get(self.outcome_metric) if answered else None,
            format_score=self._well_formed_turns / self._turn,
            signals=signals,
        )
        components = self.rubric.score(outcome)
        reward = float(sum(components.values()))
        return self._observation(), reward, terminated, truncated, self._step_info(outcome, metrics, components)

    def _run_calls(self, calls: Sequence[ToolCall]) -> tuple[tuple[ToolResult, ...], dict[str, float], int]:
        """Run (or refuse) each call, interpret it and append its tool message; sum the signals."""
        results: list[ToolResult] = []
        signals: dict[str, float] = {}
        repeated = 0
        for call in calls:
            repeated += call.key() in self._seen_calls
            self._seen_calls.add(call.key())
            result = self._run(call)
            meaning = self.interpret(call, result)
            for name, value in meaning.signals.items():
                signals[name] = signals.get(name, 0.0) + float(value)
            results.append(result)
            self._append(self.format.tool_message(call, self._clip(meaning.content)))
        return tuple(results), signals, repeated

    def _step_info(self, outcome: StepOutcome, metrics: dict[str, float], components: dict[str, float]) -> dict[str, Any]:
        failures = list(outcome.parsed.failures) + [r.failure for r in outcome.results if r.failure is not None]
        return {
            "turn": self._turn,
            "task_id": self._task.id if self._task else "",
            "tool_calls": [c.model_dump(mode="json") for c in outcome.parsed.tool_calls],
            "tool_results": [_result_info(r) for r in outcome.results],
            "errors": [f.model_dump(mode="json") for f in failures],
            "answer": outcome.parsed.answer,
            "metrics": metrics,
            "reward_components": components,
            "signals": dict(outcome.signals),
            "action_truncated": outcome.action_truncated,
            "latency_s": round(sum(r.latency_s for r in outcome.results), 6),
            **self.step_info(),
        }

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        super().close()

    # -- the step's parts -----------------------------------------------------------------------------------

    def _parse(self, action: Action, refused: tuple[ToolFailure, ...] = ()) -> ParsedTurn:
        """Parse with the env's format (native ``tool_calls`` are understood whatever it is); give every call an id;
        keep at most ``max_tool_calls_per_turn`` calls, the rest refused as one ``too_many_calls`` failure."""
        parsed = self.format.parse(action, self.tools)
        if isinstance(action, Mapping) and action.get("tool_calls") is not None and not isinstance(self.format, OpenAIFormat):
            native = _NATIVE_CALLS.parse(action, self.tools)
            parsed = parsed.model_copy(
                update={"tool_calls": native.tool_calls + parsed.tool_calls, "failures": native.failures + parsed.failures}
            )
        cap = self.max_tool_calls_per_turn
        failures = refused + parsed.failures
        already_refused = any(f.kind == "too_many_calls" for f in refused)
        if len(parsed.tool_calls) > cap and not already_refused:
            failures += (too_many_calls(cap, len(parsed.tool_calls) - cap),)
        calls = tuple(
            c if c.id else c.model_copy(update={"id": f"call_{self._turn}_{k}"}) for k, c in enumerate(parsed.tool_calls[:cap])
        )
        return parsed.model_copy(update={"tool_calls": calls, "failures": failures})

    def _clip(self, text: str) -> str:
        """Env-written text cut to what the observation space holds (a tool may return anything)."""
        limit = self.observation_space.max_content_length
        if len(text) <= limit:
            return text
        marker = f"\n[cut to {limit} characters from {len(text)}]"
        return text[: limit - len(marker)] + marker

    def _run(self, call: ToolCall) -> ToolResult:
        tool = self.tools.get(call.name)
        if tool is None:
            hint = did_you_mean(call.name, self.tools)
            return _failed(call, "unknown_tool", f"no tool named {call.name!r}; available: {', '.join(self.tools)}.{hint}")
        try:
            validate_arguments(tool.parameters, call.arguments)
            raw = self._execute(tool, call.arguments)
        except Exception as exc:  # a tool's own bug is the episode's data, not the trainer's crash
            failure = failure_from_exception(exc, tool=call.name, timeout_s=getattr(tool, "timeout_s", None))
            return ToolResult(call=call, failure=failure)
        if isinstance(raw, str):
            raw = ToolOutput(content=raw)
        if not isinstance(raw, ToolOutput):
            return _failed(
                call, "tool_exception", f"{call.name} returned {type(raw).__name__}; tools must return str or ToolOutput"
            )
        noised = self.noise.apply(raw, self.np_random)
        return ToolResult(
            call=call, output=noised.output, failure=noised.failure, latency_s=noised.latency_s, noise=noised.effects
        )

    def _execute(self, tool: Tool, arguments: Mapping[str, Any]) -> Any:
        timeout = getattr(tool, "timeout_s", None)
        if timeout is None:
            return tool.run(arguments)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix=f"{type(self).__name__}-tools")
        return self._executor.submit(tool.run, arguments).result(timeout=timeout)

    def _feedback(self, parsed: ParsedTurn) -> str:
        """The env's own message when the turn could not be acted on."""
        problems = [f"Error ({f.kind}): {f.message}" for f in parsed.failures]
        if not parsed.tool_calls and parsed.answer is None and not parsed.failures:
            problems.append("Your turn contained no tool call and no answer. Call a tool, or give the final answer.")
        return "\n".join(problems)


def _failed(call: ToolCall, kind: str, message: str) -> ToolResult:
    return ToolResult(call=call, failure=ToolFailure(kind=kind, message=message))


def _result_info(result: ToolResult) -> dict[str, Any]:
    output = result.output
    return {
        "id": result.call.id,
        "name": result.call.name,
        "ok": result.ok,
        "failure": result.failure.model_dump(mode="json") if result.failure else None,
        "n_items": len(output.items) if output else 0,
        "items": [item.meta for item in output.items] if output else [],
        "latency_s": result.latency_s,
        "noise": list(result.noise),
    }
