"""Project rules over the source tree, with the ast module (semgrep's registry is out of
reach here, and the rules are small): a view reaches mission data only through the
selectors or policy.scope; nobody marks user text safe; no task is sent far into the
future; no view is exempt from CSRF. Matrix S36.

A legitimate exception is allowed where it is written, with its reason: `# safe: …` on
the line of a mark_safe, `{# safe: … #}` beside a template's |safe; an unscoped lookup
goes in ALLOWED_LOOKUPS below with why it cannot leak another mission's data.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SKIP = {".venv", "var", "node_modules", ".git", "tests", "migrations", "bench"}
MISSION_DATA = {
    "Message",
    "MessageText",
    "Attachment",
    "Comment",
    "Review",
    "Delivery",
    "DeliveryAttempt",
    "Event",
    "SocialAccount",
    "Mission",
    "StaffMembership",
}
# (file, function): why this lookup of mission data outside the selectors cannot leak.
ALLOWED_LOOKUPS = {
    ("embassies/views.py", "membership_remove"): "staff.manage is required first, and administrators see every mission",
}
MAX_COUNTDOWN = 10  # seconds: a small delay (a kick after commit) is fine; a schedule is not


def python_files(*, views_only: bool = False):
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if SKIP & set(relative.parts):
            continue
        # Views and forms, whether a module (views.py, views_operations.py) or a package
        # (posts/views/).
        in_package = {"views", "forms"} & set(relative.parts[:-1])
        if views_only and not (re.fullmatch(r"(views|forms)(_\w+)?\.py", path.name) or in_package):
            continue
        yield relative, path.read_text(encoding="utf-8")


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _enclosing_function(node, parents) -> str:
    """`function`, or `Class.method`."""
    names = []
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
    return ".".join(reversed(names[-2:])) if names else "<module>"


SCOPING_CALLS = {"scope", "mission_ids_of", "missions_visible_to"}


def _scoped_by_its_arguments(call: ast.Call) -> bool:
    """filter(pk__in=policy.mission_ids_of(user)): narrowed to the user's missions."""
    for argument in [*call.args, *(keyword.value for keyword in call.keywords)]:
        for node in ast.walk(argument):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in SCOPING_CALLS:
                    return True
    return False


def _inside_scope_call(node, parents) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "scope":
                return True
    return False


def _model_of_chain(node: ast.AST) -> str | None:
    """`Message` for Message.objects.select_related(...).get(...)."""
    while isinstance(node, ast.Call | ast.Attribute):
        if isinstance(node, ast.Attribute) and node.attr == "objects" and isinstance(node.value, ast.Name):
            return node.value.id
        node = node.func if isinstance(node, ast.Call) else node.value
    return None


def unscoped_lookups(relative: Path, source: str) -> list[str]:
    tree = ast.parse(source)
    parents = _parents(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        where = f"{relative}:{node.lineno}"
        function = _enclosing_function(node, parents)
        if (str(relative), function) in ALLOWED_LOOKUPS:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if (
            name in ("get_object_or_404", "get_list_or_404")
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in MISSION_DATA
        ):
            found.append(f"{where} ({function}): {name}({node.args[0].id}, …) — use a selector or policy.scope")
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "filter", "exclude", "in_bulk"):
            model = _model_of_chain(node.func.value)
            if model not in MISSION_DATA or _inside_scope_call(node, parents) or _scoped_by_its_arguments(node):
                continue
            by_id = any(keyword.arg in ("pk", "id", "pk__in", "id__in") for keyword in node.keywords)
            if node.func.attr == "get" or by_id or node.func.attr == "in_bulk":
                found.append(
                    f"{where} ({function}): {model}.objects…{node.func.attr}(…) — use a selector or policy.scope"
                )
    return found


def test_views_reach_mission_data_only_through_selectors_or_the_policy():
    found = [
        problem for relative, source in python_files(views_only=True) for problem in unscoped_lookups(relative, source)
    ]
    assert not found, (
        "Unscoped lookups of mission data in views (another mission's row would be "
        "found; add a justified entry to ALLOWED_LOOKUPS only if it cannot be):\n" + "\n".join(found)
    )


def test_the_allowed_lookups_still_exist():
    functions = set()
    for relative, source in python_files(views_only=True):
        tree = ast.parse(source)
        parents = _parents(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                inner = ast.Pass()
                parents[inner] = node
                functions.add((str(relative), _enclosing_function(inner, parents)))
    assert set(ALLOWED_LOOKUPS) <= functions, set(ALLOWED_LOOKUPS) - functions


def test_the_lookup_rule_finds_what_it_should():
    """The rule's own test, on a made-up view module."""
    source = (
        "def leak(request, pk):\n"
        "    a = Message.objects.get(pk=pk)\n"
        "    b = Delivery.objects.select_related('message').filter(pk=pk)\n"
        "    c = get_object_or_404(SocialAccount, pk=pk)\n"
        "    d = policy.scope(request.user, Message.objects.all()).get(pk=pk)\n"
        "    e = get_object_or_404(policy.scope(request.user, Attachment.objects.all()), pk=pk)\n"
        "    f = Message.objects.filter(mission__in=ids)\n"
        "    g = Mission.objects.filter(pk__in=list(policy.mission_ids_of(request.user)))\n"
    )
    found = unscoped_lookups(Path("x/views.py"), source)
    assert [line.split(":")[1].split(" ")[0] for line in found] == ["2", "3", "4"]


# --- mark_safe on user text ----------------------------------------------------------------------


def mark_safe_calls(relative: Path, source: str) -> list[str]:
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("mark_safe", "SafeString", "SafeText") and "# safe:" not in lines[node.lineno - 1]:
                found.append(f"{relative}:{node.lineno}: {name}(…) without a '# safe: <why>' comment")
    return found


def test_nothing_is_marked_safe_without_a_reason():
    found = [problem for relative, source in python_files() for problem in mark_safe_calls(relative, source)]
    assert not found, "\n".join(found)


def template_files():
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]:
        if SKIP & set(folder.relative_to(ROOT).parts):
            continue
        yield from sorted(path for path in folder.rglob("*") if path.is_file())


def test_templates_mark_nothing_safe_without_a_reason():
    found = []
    for path in template_files():
        relative = path.relative_to(ROOT)
        plain_text_email = relative.parts[:2] == ("templates", "emails") and path.suffix == ".txt"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\|\s*safe(seq)?\b", line) and "{# safe:" not in line:
                found.append(f"{relative}:{number}: |safe without a '{{# safe: <why> #}}' comment")
            if re.search(r"{%\s*autoescape\s+off", line) and not plain_text_email:
                found.append(f"{relative}:{number}: autoescape off outside a plain-text email")
    assert not found, "\n".join(found)


# --- Far-future tasks ------------------------------------------------------------------------------


def far_future_tasks(relative: Path, source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("apply_async", "send_task", "retry", "signature", "s", "si")
        ):
            continue
        for keyword in node.keywords:
            if keyword.arg == "eta":
                found.append(
                    f"{relative}:{node.lineno}: {node.func.attr}(eta=…): schedule with a due time "
                    "in the database, never in the broker"
                )
            if keyword.arg == "countdown":
                value = keyword.value
                small = (
                    isinstance(value, ast.Constant)
                    and isinstance(value.value, int | float)
                    and 0 <= value.value <= MAX_COUNTDOWN
                )
                if not small:
                    found.append(
                        f"{relative}:{node.lineno}: {node.func.attr}(countdown={ast.unparse(value)}): "
                        f"only a constant of at most {MAX_COUNTDOWN} s"
                    )
            if keyword.arg == "options" and isinstance(keyword.value, ast.Dict):
                keys = {key.value for key in keyword.value.keys if isinstance(key, ast.Constant)}
                if keys & {"eta", "countdown"}:
                    found.append(f"{relative}:{node.lineno}: eta/countdown in options")
    return found


def test_no_task_is_sent_far_into_the_future():
    """Redis hands an ETA task to another worker after its visibility timeout while the first
    still holds it (RELIABILITY.md §1.1): the pipeline's due times live in the database."""
    found = [problem for relative, source in python_files() for problem in far_future_tasks(relative, source)]
    assert not found, "\n".join(found)


def test_the_task_rule_finds_what_it_should():
    source = (
        "t.apply_async(args=[1], eta=when)\n"
        "t.apply_async(args=[1], countdown=3600)\n"
        "t.apply_async(args=[1], countdown=delay)\n"
        "t.apply_async(args=[1], countdown=5)\n"
        "self.retry(countdown=600)\n"
    )
    assert len(far_future_tasks(Path("x.py"), source)) == 4


def test_no_view_is_exempt_from_csrf():
    found = [
        f"{relative}: csrf_exempt"
        for relative, source in python_files()
        if re.search(r"\bcsrf_exempt\b", source) and "# safe:" not in source
    ]
    assert not found, "\n".join(found)


# --- The life cycle has one home (posts/lifecycle.py) ---------------------------------------------

LIFECYCLE = Path("posts/lifecycle.py")
STATE_NAMES = {"State", "MState", "DState", "S", "MessageState", "DeliveryState"}


def _is_state(node: ast.AST) -> bool:
    """`Message.State.SENT`, `State.SENT`, `MState.FAILED`...: a member of a state enum."""
    if not isinstance(node, ast.Attribute) or not node.attr.isupper():
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id in STATE_NAMES) or (
        isinstance(owner, ast.Attribute) and owner.attr == "State"
    )


def state_sets(relative: Path, source: str) -> list[str]:
    """Every tuple, list or set of two states or more written outside posts/lifecycle.py:
    a set of states is declared there once, with a name that says what it means."""
    if relative == LIFECYCLE:
        return []
    return [
        f"{relative}:{node.lineno} {ast.unparse(node)[:80]}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and sum(map(_is_state, node.elts)) >= 2
    ]


def test_state_sets_are_declared_only_in_the_lifecycle_module():
    found = [problem for relative, source in python_files() for problem in state_sets(relative, source)]
    assert not found, "Name these sets in posts/lifecycle.py and import them:\n" + "\n".join(found)


def test_the_state_set_rule_finds_what_it_should():
    source = (
        "PENDING = (Delivery.State.SCHEDULED, Delivery.State.HELD)\n"
        "def f(message):\n"
        "    return message.state in [MState.DRAFT, MState.IN_REVIEW]\n"
        "q = Delivery.objects.filter(state__in={State.SENT, State.RETRACTED})\n"
        "one = (State.SENT,)\n"
        "named = MESSAGE_LIVE | {State.FAILED}\n"
        "pair = ('sent', 'failed')\n"
    )
    assert [line.split(" ")[0] for line in state_sets(Path("posts/x.py"), source)] == [
        "posts/x.py:1",
        "posts/x.py:3",
        "posts/x.py:4",
    ]
    assert state_sets(LIFECYCLE, source) == []


def recorded_event_names(relative: Path, source: str) -> list[tuple[str, str]]:
    """(place, name) for every event name written in the code: a string given as `verb=`
    (record_event, record_delivery_events, Event(...), a filter on events, the outcomes
    service) or as the default of a parameter named `verb`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        values = []
        if isinstance(node, ast.Call):
            values = [keyword.value for keyword in node.keywords if keyword.arg == "verb"]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            positional = arguments.posonlyargs + arguments.args
            pairs = list(zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults, strict=True))
            pairs += [(arg, default) for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)]
            values = [default for arg, default in pairs if arg.arg == "verb" and default is not None]
        for value in values:
            # Dotted, as every event name is: "get" (an HTTP verb) or "is" (grammar) are not.
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and "." in value.value:
                found.append((value.lineno, f"{relative}:{value.lineno}", value.value))
    return [(place, name) for _, place, name in sorted(found)]


def test_every_recorded_event_is_registered():
    from posts.lifecycle import EVENTS

    found = [
        f"{place} {name}"
        for relative, source in python_files()
        for place, name in recorded_event_names(relative, source)
        if name not in EVENTS
    ]
    assert not found, "Register these events in posts/lifecycle.py (with a label):\n" + "\n".join(found)


def test_the_event_rule_finds_what_it_should():
    source = (
        "record_event(verb='message.approve', message=m)\n"
        "Event(verb='delivery.sent')\n"
        "def finish(delivery, *, verb: str = 'delivery.retry_scheduled'):\n"
        "    pass\n"
        "def other(verb='message.comment', /):\n"
        "    pass\n"
        "record_event(verb=SUMMARY_EVENTS[state])\n"
        "policy.require(user, 'message.view')\n"
        "request(verb='get')\n"
    )
    assert recorded_event_names(Path("x.py"), source) == [
        ("x.py:1", "message.approve"),
        ("x.py:2", "delivery.sent"),
        ("x.py:3", "delivery.retry_scheduled"),
        ("x.py:5", "message.comment"),
    ]


# --- One task decorator (diplomacy_hub/tasks.py) --------------------------------------------------


def task_decorators(relative: Path, source: str) -> list[str]:
    """Tasks declared with Celery's own decorators rather than diplomacy_hub.tasks.task."""
    if relative == Path("diplomacy_hub/tasks.py"):
        return []
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                if name == "shared_task" or (name == "task" and isinstance(target, ast.Attribute)):
                    found.append(f"{relative}:{node.lineno} {node.name}")
    return found


def test_every_task_is_declared_with_the_one_decorator():
    found = [problem for relative, source in python_files() for problem in task_decorators(relative, source)]
    assert not found, "Use diplomacy_hub.tasks.task:\n" + "\n".join(found)


def test_the_task_decorator_rule_finds_what_it_should():
    source = (
        "@shared_task(name='a.b')\ndef one(): pass\n"
        "@app.task(name='a.c')\ndef two(): pass\n"
        "@celery.shared_task\ndef three(): pass\n"
        "@task(name='a.d')\ndef four(): pass\n"
    )
    assert [line.split(" ")[1] for line in task_decorators(Path("x.py"), source)] == ["one", "two", "three"]
