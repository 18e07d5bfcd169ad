"""Project rules over the source tree, with the ast module (semgrep's registry is out of
reach here, and the rules are small): a view reaches mission data only through the
selectors or policy.scope; nobody marks user text safe; no task is sent far into the
future; no view is exempt from CSRF; imports run one way down the layers (LAYERS), no module
imports itself back through others, and an import inside a function says the start-up cost
it avoids. Matrix S36.

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
# live/ is the test harness moved out of tests/ (for the benchmarks and the drill): not shipped
# behaviour, as tests/ and bench/ are not.
SKIP = {".venv", "var", "node_modules", ".git", "tests", "migrations", "bench", "live"}
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
    # The conversation desk's.
    "Conversation",
    "Item",
    "RawEvent",
    "ListenCursor",
}
# (file, function): why this lookup of mission data outside the selectors cannot leak.
ALLOWED_LOOKUPS = {
    ("embassies/views.py", "membership_remove"): "staff.manage is required first, and administrators see every mission",
}
MAX_COUNTDOWN = 10  # seconds: a small delay (a kick after commit) is fine; a schedule is not
# Countdowns computed by a function whose cap stays under the broker's visibility timeout,
# by (file, expression): why each is safe.
ALLOWED_COUNTDOWNS = {
    ("diplomacy_hub/mail.py", "delay"): "retry_delay() caps a mail's retry at MAIL_RETRY_MAX (300 s) < 600 s",
}


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
                ) or (str(relative), ast.unparse(value)) in ALLOWED_COUNTDOWNS
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


def test_the_allowed_countdowns_stay_under_the_visibility_timeout():
    from django.conf import settings

    from diplomacy_hub.mail import MAIL_RETRIES, retry_delay

    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    assert max(retry_delay(n) for n in range(MAIL_RETRIES + 1)) < timeout


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


# --- Layers: imports run one way --------------------------------------------------------------------
#
# Lowest first. A module may import its own layer and those below it, never one above: the
# policy and the roles know no app, the audit log knows no mission, the missions know no
# account, the accounts know no message. Within a layer, `diplomacy_hub.urls` aside, the
# longest matching prefix decides (`embassies.roles` sits with the settings, below the rest of
# `embassies`). The live harness, the benchmarks and the tests sit above every app, in that
# order: nothing imports tests/, and the harness imports nothing of bench/.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("settings and roles", ("diplomacy_hub", "embassies.roles")),
    ("mail room", ("mailroom",)),  # keeps each mail until sent; registers itself with diplomacy_hub.mail
    ("audit", ("audit",)),
    ("embassies", ("embassies",)),
    ("security", ("security",)),
    ("channels", ("channels",)),
    ("global time", ("globaltime",)),  # desks, rosters, the calendar's days: read by posts
    ("posts", ("posts", "demo")),
    ("conversations", ("conversations",)),  # beside posts, above it: only the URLs import it
    ("analytics", ("analytics",)),  # beside the desk: reads posts and channels, only the URLs import it
    ("api", ("api",)),  # the API, feeds and webhooks: reads posts and conversations; only the URLs import it
    ("urls", ("diplomacy_hub.urls", "diplomacy_hub.wsgi", "manage")),
    ("live harness", ("live",)),
    ("benchmarks", ("bench",)),
    ("tests", ("tests",)),
]
# Every import inside a function says why on its line or just above its block of imports;
# only a real start-up reason counts (Django not set up yet, the app registry not ready).
START_UP = "# start-up:"
# Code that must obey the start-up rule (tests set Django up in their own way).
START_UP_CHECKED = (
    "diplomacy_hub",
    "audit",
    "mailroom",
    "embassies",
    "security",
    "channels",
    "globaltime",
    "posts",
    "conversations",
    "analytics",
    "api",
    "demo",
    "live",
    "bench",
)


def _layer_of(module: str) -> int | None:
    best, level = -1, None
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, level = len(prefix), index
    return level


def _module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_modules(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The modules an import statement names (for `from x import y`: x.y when y is a module
    of ours, else x; both resolve to the same layer)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    return [f"{target}.{alias.name}" if alias.name != "*" else target for alias in node.names]


def _in_function(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return True
    return False


def _said_why(node: ast.stmt, parents: dict, lines: list[str]) -> bool:
    """A `# start-up:` comment on the import's line, or on the comment lines above the run
    of import statements it belongs to."""
    if START_UP in lines[node.lineno - 1]:
        return True
    body = getattr(parents[node], "body", [])
    index = next((i for i, statement in enumerate(body) if statement is node), None)
    first = node
    while index:
        previous = body[index - 1]
        if not isinstance(previous, ast.Import | ast.ImportFrom):
            break
        first, index = previous, index - 1
    number = first.lineno - 2
    while number >= 0 and lines[number].strip().startswith("#"):
        if START_UP in lines[number]:
            return True
        number -= 1
    return False


def import_problems(relative: Path, source: str) -> list[str]:
    """Uphill imports (module level, inside functions, under TYPE_CHECKING alike), and imports
    inside functions that do not say their start-up reason."""
    module = _module_name(relative)
    own = _layer_of(module)
    tree = ast.parse(source)
    parents = _parents(tree)
    lines = source.splitlines()
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        where = f"{relative}:{node.lineno}"
        for target in _imported_modules(node, module, relative.name == "__init__.py"):
            theirs = _layer_of(target)
            if own is not None and theirs is not None and theirs > own:
                found.append(
                    f"{where}: {module} ({LAYERS[own][0]}) imports {target} ({LAYERS[theirs][0]}), a higher layer"
                )
        checked = module.split(".")[0] in START_UP_CHECKED
        if checked and _in_function(node, parents) and not _said_why(node, parents, lines):
            found.append(
                f"{where}: import inside a function without a '{START_UP} <why>' comment "
                "(move it to the top of the module, or say what start-up cost it avoids)"
            )
    return found


def project_python_files():
    """Every Python file of ours, tests, benchmarks and migrations included."""
    skip = {".venv", "var", "node_modules", ".git"}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if not (skip & set(relative.parts)):
            yield relative, path.read_text(encoding="utf-8")


def test_imports_run_one_way_and_imports_inside_functions_say_why():
    found = [problem for relative, source in project_python_files() for problem in import_problems(relative, source)]
    assert not found, "Imports against the layers (LAYERS above):\n" + "\n".join(found)


def test_every_module_of_ours_has_a_layer():
    missing = sorted(
        {
            _module_name(relative)
            for relative, _source in project_python_files()
            if _layer_of(_module_name(relative)) is None
        }
    )
    assert not missing, f"Modules in no layer (add their package to LAYERS): {missing}"


def test_the_layer_rule_catches_a_reintroduced_circle():
    """The circle that imports inside functions once hid: channels.services -> posts (the
    account mail) -> channels. Caught at module level and inside a function alike."""
    at_the_top = "from posts.notifications import notify_admins_of_account_problem\n"
    hidden = (
        "def _notify_admins(account, reason):\n"
        "    from posts.notifications import notify_admins_of_account_problem\n"
        "    notify_admins_of_account_problem(account=account, reason=reason)\n"
    )
    assert import_problems(Path("channels/services.py"), at_the_top) == [
        "channels/services.py:1: channels.services (channels) imports "
        "posts.notifications.notify_admins_of_account_problem (posts), a higher layer"
    ]
    problems = import_problems(Path("channels/services.py"), hidden)
    assert len(problems) == 2
    assert "a higher layer" in problems[0]
    assert "without a '# start-up: <why>' comment" in problems[1]


def test_the_layer_rule_finds_what_it_should():
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from . import selectors\n"  # embassies.selectors: own layer
        "from ..audit.services import record\n"  # relative, lower: fine
        "from diplomacy_hub import policy\n"
        "if TYPE_CHECKING:\n"
        "    from security.models import EnrolmentGrant\n"  # line 7: uphill, even for typing
        "import tests.factories\n"  # line 8: nothing imports tests
        "def ready():\n"
        "    # start-up: the receivers import models.\n"
        "    from embassies import receivers\n"
        "    from embassies import signals\n"
        "def lazy():\n"
        "    import json\n"  # line 14: no reason given
    )
    found = import_problems(Path("embassies/views.py"), source)
    assert sorted(int(line.split(":")[1]) for line in found) == [7, 8, 14]
    assert import_problems(Path("tests/posts/test_x.py"), "import bench.run\nimport live.stack\n") == []
    assert import_problems(Path("live/stack.py"), "from tests.factories import UserFactory\n")
    assert import_problems(Path("live/stack.py"), "from bench import common\n")
    assert import_problems(Path("bench/run.py"), "from live.stack import spawn\n") == []


# --- No import circle, within a layer too --------------------------------------------------------


def _import_graph(modules: dict[str, tuple[Path, str]]) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (anywhere in it: at the top, under
    TYPE_CHECKING, inside functions). `from x import y` points at x.y when that is a module."""
    graph: dict[str, set[str]] = {}
    for name, (relative, source) in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _imported_modules(node, name, relative.name == "__init__.py"):
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def import_cycles(modules: dict[str, tuple[Path, str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, without
    recursion: the tree has hundreds of modules)."""
    graph = _import_graph(modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


def test_no_module_imports_itself_back():
    """A circle inside one layer (the sandbox's state -> oauth1 -> http -> state) breaks the
    import as surely as one across layers; hiding it in a function or TYPE_CHECKING only
    delays the failure."""
    modules = {_module_name(relative): (relative, source) for relative, source in project_python_files()}
    assert import_cycles(modules) == []


def test_the_circle_rule_finds_what_it_should():
    modules = {
        "channels.sandbox.http": (
            Path("channels/sandbox/http.py"),
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from channels.sandbox.state import SandboxState\n",
        ),
        "channels.sandbox.state": (
            Path("channels/sandbox/state.py"),
            "from channels.sandbox.oauth1 import NonceBook\n",
        ),
        "channels.sandbox.oauth1": (Path("channels/sandbox/oauth1.py"), "from channels.sandbox.http import Request\n"),
        "channels.sandbox.mime": (Path("channels/sandbox/mime.py"), "import re\n"),
        "channels.sandbox": (Path("channels/sandbox/__init__.py"), "from . import mime\n"),
    }
    assert import_cycles(modules) == [["channels.sandbox.http", "channels.sandbox.oauth1", "channels.sandbox.state"]]


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
    """In its app's registry: posts/lifecycle.py, or conversations/lifecycle.py for the desk."""
    from conversations.lifecycle import EVENTS as CONVERSATION_EVENTS
    from posts.lifecycle import EVENTS

    found = [
        f"{place} {name}"
        for relative, source in python_files()
        for place, name in recorded_event_names(relative, source)
        if name not in (CONVERSATION_EVENTS if relative.parts[0] == "conversations" else EVENTS)
    ]
    assert not found, "Register these events in posts/ or conversations/lifecycle.py (with a label):\n" + "\n".join(
        found
    )


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
