"""Multi-turn dialog tests written as data, and the content checks behind check-dialogs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..content.loader import LEVELS, Content
from ..content.yamlnodes import Located, read_yaml
from ..errors import ContentError
from .dialog import Conversation, Reply, Skill
from .safety import assess
from .symptoms import DETECTORS, example_problems

_TURN_KEYS = {"user", "intent", "escalation", "says", "avoids", "ends", "asks_safety_check"}
_TEST_KEYS = {"name", "turns", "safety_check"}


@dataclass(frozen=True)
class Turn:
    user: str
    intent: str | None
    """Expected dialog id; None expects no intent; MISSING when not checked."""
    escalation: str | None
    says: tuple[str, ...]
    """Words or phrases the reply must contain (case-insensitive)."""
    origin: str
    ends: bool | None = None
    """Whether the reply must end the session; None when not checked."""
    asks_safety_check: bool | None = None
    """Whether the reply must be the safety-check question; None when not checked."""
    avoids: tuple[str, ...] = ()
    """Words or phrases the reply must not contain (case-insensitive)."""


@dataclass(frozen=True)
class DialogTest:
    name: str
    turns: tuple[Turn, ...]
    origin: str
    safety_check: bool = False
    """Run with the session's safety check on. Off unless a test asks for it: a dialog test
    pins one flow, and the check is a preamble to the first twitching report of a session, so
    with it on every FAQ test would open with the same yes/no exchange and test the check
    instead of its answers. The tests that turn it on show a "no" leads to those same answers.
    It also keeps a test's result independent of the settings file it is run with."""


MISSING = "<not checked>"


def _turn(node: Located) -> Turn:
    if not isinstance(node.value, dict):
        raise ContentError(f"{node.origin}: a turn must be a mapping with 'user'")
    table = node.value
    for key, value in table.items():
        if key not in _TURN_KEYS:
            raise ContentError(f"{value.where}: unknown key {key!r} in a turn")
    if "user" in table and isinstance(table["user"].value, bool):
        # YAML reads a bare yes, no, on or off as true/false, the very answers a test gives.
        raise ContentError(f"{table['user'].origin}: 'user' was read as {table['user'].value}; "
                           f"quote a yes or no answer: user: \"no\"")
    if "user" not in table or not isinstance(table["user"].value, str):
        raise ContentError(f"{node.origin}: a turn needs 'user' text")
    escalation = table["escalation"].value if "escalation" in table else None
    if escalation is not None and escalation not in LEVELS:
        raise ContentError(f"{table['escalation'].origin}: unknown escalation level {escalation!r}")
    return Turn(
        user=table["user"].value, intent=table["intent"].value if "intent" in table else MISSING,
        escalation=escalation, says=_phrases(table, "says"), origin=node.origin,
        ends=_flag(table, "ends"), asks_safety_check=_flag(table, "asks_safety_check"),
        avoids=_phrases(table, "avoids"),
    )


def _phrases(table: dict[str, Located], key: str) -> tuple[str, ...]:
    """A phrase or a list of them ('says', 'avoids'); none when absent."""
    if key not in table:
        return ()
    items = table[key].value if isinstance(table[key].value, list) else [table[key]]
    return tuple(str(item.value) for item in items)


def _flag(table: dict[str, Located], key: str) -> bool | None:
    """A true/false key of a test or turn, None when absent."""
    if key not in table:
        return None
    if not isinstance(table[key].value, bool):
        raise ContentError(f"{table[key].origin}: {key!r} must be true or false")
    return table[key].value


def load_dialog_tests(path: Path) -> list[DialogTest]:
    """Read one dialog-test file; a malformed one raises ContentError naming file:line."""
    root = read_yaml(path)
    if not isinstance(root.value, dict) or "tests" not in root.value:
        raise ContentError(f"{root.origin}: a dialog-test file needs a 'tests' list")
    listed = root.value["tests"]
    if not isinstance(listed.value, list) or not listed.value:
        raise ContentError(f"{listed.origin}: 'tests' must be a non-empty list")
    tests = []
    for node in listed.value:
        table = node.value if isinstance(node.value, dict) else {}
        if set(table) - _TEST_KEYS or "turns" not in table:
            raise ContentError(f"{node.origin}: a test has 'name', 'turns' and optionally "
                               f"'safety_check' only")
        turns = table["turns"].value
        if not isinstance(turns, list) or not turns:
            raise ContentError(f"{table['turns'].origin}: 'turns' must be a non-empty list")
        name = str(table["name"].value) if "name" in table else node.origin
        tests.append(DialogTest(name, tuple(_turn(t) for t in turns), node.origin,
                                safety_check=bool(_flag(table, "safety_check"))))
    return tests


def _turn_problems(turn: Turn, skill: Skill, state: Conversation,
                   now: float) -> tuple[Reply, list[str]]:
    reply = skill.respond(state, turn.user, now)
    problems = []
    if turn.intent != MISSING and reply.intent != turn.intent:
        problems.append(f"intent {reply.intent!r}, expected {turn.intent!r}")
    if turn.escalation is not None and reply.escalation != turn.escalation:
        problems.append(f"escalation {reply.escalation!r}, expected {turn.escalation!r}")
    if turn.ends is not None and reply.ends != turn.ends:
        problems.append(f"ends {reply.ends}, expected {turn.ends}")
    asked = reply.safety_check is not None
    if turn.asks_safety_check is not None and asked != turn.asks_safety_check:
        problems.append("asked the safety check" if asked else "did not ask the safety check")
    missing = [w for w in turn.says if w.lower() not in reply.text.lower()]
    if missing:
        problems.append(f"reply lacks {missing!r}: {reply.text[:120]!r}")
    unwanted = [w for w in turn.avoids if w.lower() in reply.text.lower()]
    if unwanted:
        problems.append(f"reply has {unwanted!r}: {reply.text[:120]!r}")
    return reply, problems


def run_dialog_test(test: DialogTest, skill: Skill) -> list[str]:
    """Problems found, each naming the turn's file:line; empty when the test passes."""
    skill = with_safety_check(skill, test.safety_check)
    state = Conversation()
    failures = []
    for number, turn in enumerate(test.turns, start=1):
        reply, problems = _turn_problems(turn, skill, state, float(number))
        failures += [f"{turn.origin}: turn {number} {turn.user!r}: {p}" for p in problems]
        state = reply.state
    return failures


def with_safety_check(skill: Skill, on: bool) -> Skill:
    """The same content under settings with the session's safety check on or off."""
    if skill.settings.dialog.safety_check == on:
        return skill
    dialog = dataclasses.replace(skill.settings.dialog, safety_check=on)
    return Skill(skill.content, dataclasses.replace(skill.settings, dialog=dialog))


REQUIRED_IDS = (
    "calf_muscle", "twitch_causes", "nerve_treatment", "when_to_worry", "deficiency", "anxiety",
    "cramps_serious", "blood_clot", "als", "ms", "dehydration", "restless_legs", "calm_calf",
    "annular_tear", "degenerative_scoliosis", "failed_back_surgery", "herniated_disc",
    "pinched_nerve", "sciatica", "torn_disc", "greeting", "help", "repeat", "more", "stop",
    "thanks",
)
"""The dialog ids evaluations line up on; the shipped content must have every one."""


def red_flag_example_problems(content: Content) -> list[str]:
    """Each red-flag rule's examples: escalate ones must fire it, calm ones must not."""
    problems = []
    for rule in content.rules:
        for example in rule.escalate_examples:
            fired = {hit.rule.id for hit in assess(example, content.rules, cues=content.cues).hits}
            if rule.id not in fired:
                problems.append(f"{rule.origin}: rule {rule.id} misses its example {example!r}")
        for example in rule.calm_examples:
            fired = {hit.rule.id for hit in assess(example, content.rules, cues=content.cues).hits}
            if rule.id in fired:
                problems.append(f"{rule.origin}: rule {rule.id} fires on calm example {example!r}")
    return problems


def symptom_problems(content: Content, required: bool = False) -> list[str]:
    """The symptom lexicon's examples behave, and each sign's sentence fires a red flag;
    required: the lexicon and both its detectors must be there (the shipped content)."""
    lexicon = content.symptoms
    problems = []
    if required:
        present = {d.name for d in lexicon.detectors}
        problems += [f"{content.directory}: no symptom detector {name!r} (symptoms.yaml)"
                     for name in DETECTORS if name not in present]
    problems += example_problems(lexicon)
    for sign in lexicon.signs:
        if assess(sign.means, content.rules).level == "none":
            problems.append(f"{sign.origin}: sign {sign.means!r} fires no red flag")
    return problems


def content_problems(content: Content, require_ids: tuple[str, ...] = ()) -> list[str]:
    """Checks beyond the schema: required ids (and, with them, the symptom lexicon) present,
    red-flag and symptom examples behave."""
    problems = [f"{content.directory}: no dialog {i!r}" for i in require_ids
                if not content.has_dialog(i)]
    return (problems + red_flag_example_problems(content)
            + symptom_problems(content, required=bool(require_ids)))
