"""The sandbox's public: people who comment on the missions' posts, reply and mention them.

What they say comes from a seeded script (`script`): the same seed, network, account and
our posts give the same people saying the same things in the same order, in the
missions' languages (consular questions, press questions, praise, hostility, spam,
distress), some of it edited or deleted afterwards. `PublicBook` holds what was said,
for the networks' read endpoints (polling) and for the pusher, which signs each item as
X or Facebook would and POSTs it to the webhook URL the control API was given, with the
faults asked for (duplicates, out of order, a bad signature; replays on demand).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import random
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

logger = logging.getLogger(__name__)

COMMENT, REPLY, MENTION, QUOTE, VISITOR_POST = "comment", "reply", "mention", "quote", "visitor_post"
CATEGORIES = ("consular", "press", "praise", "hostile", "spam", "distress")
PUSHED_NETWORKS = ("twitter", "facebook")  # YouTube and Flickr have no push for comments
PUSH_TIMEOUT = 10.0  # X gives a webhook 10 s to answer
_SHUFFLE_BATCH = 3  # events sent out of order among themselves
_CALL_COUNTERS_MAX = 20_000  # rate-limit counters kept before the past windows are dropped

# What people say, per language and category: a few lines each, enough to tell a rule
# engine's categories apart. {h} is the account's handle.
LINES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "consular": ("How do I renew my passport at {h}?", "Is the consulate open on Friday for visas?"),
        "press": ("Journalist here: can {h} comment on the minister's visit?", "Press enquiry about the summit."),
        "praise": ("Thank you {h}, great reception yesterday!", "Proud of our embassy here."),
        "hostile": ("{h} you are liars and everyone knows it.", "Shame on you <b>all</b>"),
        "spam": ("Win 1000$ now!!! click http://spam.example/win", "Cheap visas, DM me"),
        "distress": (
            "Help, my son was arrested and we cannot reach anyone",
            "Lost my passport, stranded at the airport",
        ),
    },
    "fr": {
        "consular": ("Comment renouveler mon passeport auprès de {h} ?", "Le consulat est-il ouvert samedi ?"),
        "press": ("Journaliste : {h} peut-il commenter la visite du ministre ?", "Demande presse sur le sommet."),
        "praise": ("Merci {h}, superbe réception hier !", "Bravo à l'équipe de l'ambassade."),
        "hostile": ("{h} menteurs, tout le monde le sait.", "Honte à vous <script>alert(1)</script>"),
        "spam": ("Gagnez 1000 € maintenant !!! http://spam.example/gagner", "Visas pas chers, écrivez-moi"),
        "distress": ("Au secours, mon fils a été arrêté, personne ne répond", "Passeport perdu, bloqué à l'aéroport"),
    },
    "ar": {
        "consular": ("كيف أجدد جواز سفري لدى {h}؟", "هل القنصلية مفتوحة يوم الجمعة للتأشيرات؟"),
        "press": ("صحفي: هل يمكن لـ {h} التعليق على زيارة الوزير؟", "استفسار صحفي حول القمة."),
        "praise": ("شكرا {h} على الاستقبال الرائع!", "فخورون بسفارتنا."),
        "hostile": ("{h} أنتم كاذبون\u202e", "عار عليكم"),
        "spam": ("اربح 1000 دولار الآن!!! http://spam.example/win", "تأشيرات رخيصة راسلني"),
        "distress": ("النجدة، ابني اعتقل ولا أحد يرد", "فقدت جواز سفري وأنا عالق في المطار"),
    },
    "es": {
        "consular": ("¿Cómo renuevo mi pasaporte en {h}?", "¿Está abierto el consulado el viernes?"),
        "press": ("Periodista: ¿puede {h} comentar la visita del ministro?", "Consulta de prensa sobre la cumbre."),
        "praise": ("¡Gracias {h}, gran recepción ayer!", "Orgullosos de nuestra embajada."),
        "hostile": ("{h} mentirosos, todos lo saben.", "Vergüenza os debería dar"),
        "spam": ("¡¡¡Gana 1000 $ ahora!!! http://spam.example/gana", "Visados baratos, escríbeme"),
        "distress": ("Ayuda, detuvieron a mi hijo y nadie contesta", "Perdí mi pasaporte, atrapado en el aeropuerto"),
    },
    "ru": {
        "consular": ("Как продлить паспорт в {h}?", "Консульство открыто в пятницу?"),
        "press": ("Журналист: может ли {h} прокомментировать визит министра?", "Запрос прессы о саммите."),
        "praise": ("Спасибо {h}, отличный приём!", "Гордимся нашим посольством."),
        "hostile": ("{h} лжецы, все это знают.", "Позор вам"),
        "spam": ("Выиграй 1000 $ сейчас!!! http://spam.example/win", "Дешёвые визы, пишите"),
        "distress": ("Помогите, моего сына арестовали", "Потерял паспорт, застрял в аэропорту"),
    },
    "zh": {
        "consular": ("请问如何在{h}更新护照？", "领事馆周五办理签证吗？"),
        "press": ("记者：{h}能否评论部长的访问？", "关于峰会的媒体询问。"),
        "praise": ("谢谢{h}，昨天的招待会很棒！", "为我们的大使馆骄傲。"),
        "hostile": ("{h} 骗子，大家都知道。", "真丢人"),
        "spam": ("立即赢取1000美元!!! http://spam.example/win", "便宜签证，私信我"),
        "distress": ("救命，我儿子被捕了，没人接电话", "护照丢了，被困在机场"),
    },
    "pt": {
        "consular": ("Como renovo o meu passaporte em {h}?", "O consulado abre na sexta-feira?"),
        "press": ("Jornalista: {h} pode comentar a visita do ministro?", "Pedido de imprensa sobre a cimeira."),
        "praise": ("Obrigado {h}, ótima receção ontem!", "Orgulho da nossa embaixada."),
        "hostile": ("{h} mentirosos, todos sabem.", "Que vergonha"),
        "spam": ("Ganhe 1000 $ agora!!! http://spam.example/win", "Vistos baratos, fale comigo"),
        "distress": ("Socorro, o meu filho foi preso", "Perdi o passaporte, preso no aeroporto"),
    },
    "de": {
        "consular": ("Wie verlängere ich meinen Pass bei {h}?", "Ist das Konsulat am Freitag geöffnet?"),
        "press": ("Journalistin: Kann {h} den Ministerbesuch kommentieren?", "Presseanfrage zum Gipfel."),
        "praise": ("Danke {h}, toller Empfang gestern!", "Stolz auf unsere Botschaft."),
        "hostile": ("{h} Lügner, das weiß jeder.", "Schämt euch"),
        "spam": ("Jetzt 1000 $ gewinnen!!! http://spam.example/win", "Billige Visa, schreib mir"),
        "distress": ("Hilfe, mein Sohn wurde verhaftet", "Pass verloren, am Flughafen gestrandet"),
    },
}
_CATEGORY_WEIGHTS = (30, 12, 25, 12, 11, 10)  # in CATEGORIES' order
_FIRST_NAMES = ("Amina", "Lucas", "Sofia", "Omar", "Mei", "Ivan", "Chloé", "Diego", "Yuki", "Fatou", "Lena", "Ravi")
_LAST_NAMES = ("Haddad", "Martin", "García", "Petrov", "Chen", "Silva", "Müller", "Diallo", "Kowalski", "Nguyen")
_EDITED_SUFFIX = " (edited)"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    handle: str


@dataclass(frozen=True)
class Line:
    """One scripted utterance, before it gets a network id and a time.

    `post` is the index in `our_posts` it is said under (None: not under a post: a
    mention, a visitor's post); `answers` the index of an earlier line it answers.
    """

    kind: str
    category: str
    language: str
    text: str
    author: Person
    post: int | None = None
    answers: int | None = None
    edit: str = ""  # the text it is edited to afterwards, "" if never
    delete: bool = False


@dataclass
class Said:
    """One thing the public said to a mission's account, as the sandbox keeps it."""

    network: str
    account: str  # the mission's account it is addressed to
    id: str
    kind: str
    category: str
    language: str
    text: str
    author: Person
    created_at: datetime
    post: str = ""  # our post (an Item id) it is under, "" when none
    parent: str = ""  # what it answers directly: our post or another Said's id
    thread: str = ""  # X conversation_id, the Facebook post, the YouTube video, the Flickr photo
    version_id: str = ""  # X: an edit is a new post id; the first stays the item's id
    edited_at: datetime | None = None
    deleted: bool = False
    seq: int = 0  # arrival order in the sandbox, for cursors
    ours: bool = False  # the account's own reply, in the thread where its public sees it
    hidden: bool = False  # hidden by the account (Facebook is_hidden, YouTube heldForReview)
    rejected: bool = False  # YouTube: rejected by the channel, for good

    @property
    def current_id(self) -> str:
        return self.version_id or self.id

    def as_json(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "account": self.account,
            "id": self.id,
            "version_id": self.current_id,
            "kind": self.kind,
            "category": self.category,
            "language": self.language,
            "text": self.text,
            "author": {"id": self.author.id, "name": self.author.name, "handle": self.author.handle},
            "created_at": self.created_at.isoformat(),
            "edited_at": self.edited_at.isoformat() if self.edited_at else None,
            "post": self.post,
            "parent": self.parent,
            "thread": self.thread,
            "deleted": self.deleted,
            "ours": self.ours,
            "hidden": self.hidden,
            "rejected": self.rejected,
        }


# --- The script: pure, seeded -------------------------------------------------------------------


def script(
    *, seed: int | str, network: str, account: str, handle: str, count: int, our_posts: int, languages: Sequence[str]
) -> list[Line]:
    """`count` lines said to one account, the same for the same arguments.

    Under our posts when there are any (comments, replies to them, replies to replies);
    X also gets mentions and quotes, Facebook visitors' posts. About one line in twelve is
    edited afterwards and one in twenty deleted.
    """
    rng = random.Random(f"{seed}:{network}:{account}")  # noqa: S311 (repeatable, not secret)
    languages = [code for code in languages if code in LINES] or ["en"]
    people = [_person(rng, network, index) for index in range(max(3, count // 3))]
    lines: list[Line] = []
    answerable: dict[int, list[int]] = {}  # per post, the lines that may be answered
    for index in range(count):
        language = rng.choice(languages)
        category = rng.choices(CATEGORIES, weights=_CATEGORY_WEIGHTS)[0]
        text = rng.choice(LINES[language][category]).format(h="@" + handle if network == "twitter" else handle)
        author = rng.choice(people)
        kind, post, answers = _shape(rng, network, our_posts, lines, answerable)
        if network == "twitter" and kind == REPLY and answers is not None:
            # A reply to someone else's reply does not name the account: X's mentions
            # timeline misses it, only a search of the conversation finds it.
            text = text.replace(f"@{handle}", handle)
        elif network == "twitter" and f"@{handle}" not in text:
            text = f"@{handle} {text}"  # a mention, a direct reply or a quote names the account
        edit = text + _EDITED_SUFFIX if rng.random() < 1 / 12 else ""
        delete = rng.random() < 1 / 20
        lines.append(Line(kind, category, language, text, author, post, answers, edit, delete))
        if post is not None and kind in (REPLY, COMMENT):
            answerable.setdefault(post, []).append(index)
    return lines


def _person(rng: random.Random, network: str, index: int) -> Person:
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    digits = "".join(rng.choice("0123456789") for _ in range(16))
    person_id = {
        "twitter": "9" + digits[:18],
        "facebook": "8" + digits[:14],
        "youtube": "UCp" + hashlib.sha256(digits.encode()).hexdigest()[:21],
        "flickr": f"{digits[:8]}@N0{index % 10}",
    }[network]
    handle = unicodedata.normalize("NFKD", f"{first}_{last}{index}".lower()).encode("ascii", "ignore").decode()
    return Person(person_id, f"{first} {last}", handle)  # handles are ASCII on every network


def _shape(
    rng: random.Random, network: str, our_posts: int, lines: list[Line], answerable: dict[int, list[int]]
) -> tuple[str, int | None, int | None]:
    """The kind of the next line, the post it is under and the earlier line it answers
    (among `answerable`: the replies and comments already under that post)."""
    roll = rng.random()
    if not our_posts:
        return (MENTION if network == "twitter" else VISITOR_POST if network == "facebook" else COMMENT), None, None
    post = rng.randrange(our_posts)
    under = answerable.get(post, [])
    if network == "twitter":
        if roll < 0.2:
            return MENTION, None, None
        if roll < 0.3:
            return QUOTE, post, None
        if roll < 0.5 and under:
            return REPLY, post, rng.choice(under)
        return REPLY, post, None
    if network == "facebook" and roll < 0.15:
        return VISITOR_POST, None, None
    if network in ("facebook", "youtube") and roll < 0.4 and under:
        top = [i for i in under if lines[i].answers is None and lines[i].kind == COMMENT]
        if top:
            return REPLY, post, rng.choice(top)
    return COMMENT, post, None


# --- What was said, and the pusher ------------------------------------------------------------


@dataclass
class WebhookTarget:
    """Where the sandbox pushes a network's events, signed with `secret`, and how badly."""

    network: str
    url: str
    secret: str
    duplicate_rate: float = 0.0  # each event sent twice
    shuffle: bool = False  # events of one batch sent out of order
    bad_signature_rate: float = 0.0
    concurrency: int = 1  # pushes in flight at once (more than one: some arrive out of order)
    sent: list[bytes] = field(default_factory=list)  # bodies sent, for replays
    answers: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # status -> count

    def as_json(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "url": self.url,
            "duplicate_rate": self.duplicate_rate,
            "shuffle": self.shuffle,
            "bad_signature_rate": self.bad_signature_rate,
            "concurrency": self.concurrency,
            "sent": len(self.sent),
            "answers": {str(status): count for status, count in sorted(self.answers.items())},
        }


# The body a network pushes for a change (verb: add, edited, remove), built by the
# network's module; None when the network pushes nothing for it.
Envelope = Callable[["Said", str], bytes | None]


class PublicBook:
    """What the public said, per network and account, with its own lock (a burst of ten
    thousand must not hold up the networks' handlers), and the webhook pusher."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.envelopes: dict[str, Envelope] = {}  # set once by the server, kept across resets
        self._queue: queue.Queue[tuple[str, bytes, bool] | None] = queue.Queue()  # network, body, replay
        self._pushers = 0  # pusher threads running (or told to stop and not yet stopped)
        self._chatter: Chatter | None = None
        self.clear()

    def clear(self) -> None:
        """Forget what was said, the webhook targets and the rate-limit counters; hush the
        chatter."""
        self.hush()
        with self.lock:
            self._seq = 0
            self.said: dict[tuple[str, str], Said] = {}
            self._versions: dict[tuple[str, str], Said] = {}  # X: an edit's new id finds the item
            self._by_account: defaultdict[tuple[str, str], list[Said]] = defaultdict(list)
            self._by_thread: defaultdict[tuple[str, str], list[Said]] = defaultdict(list)
            self._latest: dict[tuple[str, str], datetime] = {}  # per account, its newest item or edit
            self.targets: dict[str, WebhookTarget] = {}
            self._resize_pushers(0)
            self._subscriptions: dict[tuple[str, str], tuple[str, ...]] = {}  # Facebook's subscribed_apps
            # Facebook private replies, one per (network, Page, comment).
            self.private_replies: dict[tuple[str, str, str], dict[str, Any]] = {}
            # (network, account, endpoint, window seconds, window index) -> calls
            self._calls: defaultdict[tuple[str, str, str, int, int], int] = defaultdict(int)
            self._rng = random.Random(0)  # noqa: S311 (which pushes get a fault)

    # --- storing -----------------------------------------------------------------------------

    def add(self, said: Said) -> Said:
        self._store(said)
        self._push(said, "add")
        return said

    def answer(self, said: Said) -> Said:
        """The account's own reply, into its thread: the public sees it there, the networks'
        listings return it (by the account, as the real ones do). Not pushed: the networks
        push what others say to the account."""
        said.ours = True
        return self._store(said)

    def answers(self, network: str | None = None, account: str | None = None) -> list[Said]:
        """The accounts' own replies, oldest first."""
        return [s for s in self.all(network, account) if s.ours]

    def private_reply(self, network: str, account: str, comment_id: str, text: str, message_id: str) -> bool:
        """Facebook's private reply: one per comment; False when it had its one already."""
        with self.lock:
            key = (network, account, comment_id)
            if key in self.private_replies:
                return False
            self.private_replies[key] = {
                "network": network,
                "account": account,
                "comment_id": comment_id,
                "text": text,
                "message_id": message_id,
                "sent_at": datetime.now(UTC).isoformat(),
            }
            return True

    def _store(self, said: Said) -> Said:
        with self.lock:
            self._seq += 1
            said.seq = self._seq
            self.said[(said.network, said.id)] = said
            key = (said.network, said.account)
            self._latest[key] = max(self._latest.get(key, said.created_at), said.created_at)
            self._by_account[(said.network, said.account)].append(said)
            if said.thread:
                self._by_thread[(said.network, said.thread)].append(said)
        return said

    def edit(self, said: Said, text: str, *, version_id: str = "") -> None:
        with self.lock:
            said.text = text
            said.edited_at = datetime.now(UTC)
            key = (said.network, said.account)
            self._latest[key] = max(self._latest.get(key, said.edited_at), said.edited_at)
            if version_id:
                said.version_id = version_id
                self._versions[(said.network, version_id)] = said
            self._seq += 1
            said.seq = self._seq
            accounts = self._by_account[(said.network, said.account)]
            accounts.remove(said)
            accounts.append(said)  # an edit shows as new to an "order by update" listing
        self._push(said, "edited")

    def delete(self, said: Said) -> None:
        with self.lock:
            said.deleted = True
        self._push(said, "remove")

    def latest(self, network: str, account: str) -> datetime | None:
        """When the account last heard something new (said or edited): nothing said later
        is older."""
        with self.lock:
            return self._latest.get((network, account))

    def get(self, network: str, said_id: str) -> Said | None:
        with self.lock:
            return self.said.get((network, said_id)) or self._versions.get((network, said_id))

    def of_account(self, network: str, account: str) -> list[Said]:
        """Oldest first (edits move to the end), deleted ones included."""
        with self.lock:
            return list(self._by_account.get((network, account), ()))

    def in_thread(self, network: str, thread: str) -> list[Said]:
        with self.lock:
            return list(self._by_thread.get((network, thread), ()))

    def all(self, network: str | None = None, account: str | None = None) -> list[Said]:
        with self.lock:
            if network and account:
                return list(self._by_account.get((network, account), ()))
            return [s for s in self.said.values() if network in (None, s.network) and account in (None, s.account)]

    def count_call(self, network: str, account: str, endpoint: str, window: int) -> int:
        """Calls of this account to this endpoint in the current window (a network's
        rate-limit counter), this one included."""
        now = time.time()
        key = (network, account, endpoint, window, int(now // window))
        with self.lock:
            self._calls[key] += 1
            if len(self._calls) > _CALL_COUNTERS_MAX:  # windows past are of no use
                kept = {k: n for k, n in self._calls.items() if k[4] >= int(now // k[3])}
                self._calls = defaultdict(int, kept)
            return self._calls[key]

    # --- pushing -------------------------------------------------------------------------------

    def set_target(self, target: WebhookTarget) -> None:
        with self.lock:
            self.targets[target.network] = target
            self._resize_pushers(max(t.concurrency for t in self.targets.values()))

    def _resize_pushers(self, count: int) -> None:
        """As many pushers as the most concurrent target asks for: one keeps the order."""
        with self.lock:
            while self._pushers < count:
                threading.Thread(target=self._run_pusher, name="sandbox-public-pusher", daemon=True).start()
                self._pushers += 1
            while self._pushers > count:
                self._queue.put(None)  # after the pushes already queued
                self._pushers -= 1

    def clear_targets(self) -> None:
        with self.lock:
            self.targets.clear()
            self._resize_pushers(0)

    def replay(self, network: str) -> int:
        """Send again every body already pushed to the network's target (X's replay job)."""
        with self.lock:
            target = self.targets.get(network)
            bodies = list(target.sent) if target else []
        for body in bodies:
            self._queue.put((network, body, True))
        return len(bodies)

    def subscribe(self, network: str, account: str, fields: Sequence[str]) -> None:
        with self.lock:
            self._subscriptions[(network, account)] = tuple(fields)

    def subscription(self, network: str, account: str) -> tuple[str, ...]:
        with self.lock:
            return self._subscriptions.get((network, account), ())

    def _push(self, said: Said, verb: str) -> None:
        """Queue the network's event for this change, shaped now: a later edit must not
        change what an earlier event said."""
        with self.lock:
            if said.network not in self.targets:
                return
            # Meta pushes a Page's changes only once the Page installed the app for `feed`.
            if said.network == "facebook" and "feed" not in self._subscriptions.get((said.network, said.account), ()):
                return
            envelope = self.envelopes.get(said.network)
            body = envelope(said, verb) if envelope else None
        if body is not None:
            self._queue.put((said.network, body, False))

    def close(self) -> None:
        self.hush()
        self._resize_pushers(0)

    # --- chatter: the public keeps talking (the demo's living inbox, training) -------------------

    def chatter(self, speak: Callable[[int], None], *, per_minute: float) -> None:
        """Call `speak(tick)` `per_minute` times a minute from a thread, until hushed."""
        self.hush()
        chatter = Chatter(speak, interval=60.0 / per_minute)
        with self.lock:
            self._chatter = chatter
        chatter.start()

    def hush(self) -> None:
        with self.lock:
            chatter, self._chatter = getattr(self, "_chatter", None), None
        if chatter is not None:
            chatter.stop()

    def _run_pusher(self) -> None:
        held: list[tuple[WebhookTarget, bytes, bool]] = []  # shuffled events not sent yet
        while True:
            try:
                # Held events wait for a few more, never for long: with several pushers,
                # this one may see no other event for a while.
                entry = self._queue.get(timeout=0.05 if held else None)
            except queue.Empty:
                self._send_all(held)
                held = []
                continue
            try:
                if entry is None:
                    self._send_all(held)
                    return
                network, body, replayed = entry
                with self.lock:
                    target = self.targets.get(network)
                if target is None:
                    continue
                held.append((target, body, replayed))
                if target.shuffle and len(held) < _SHUFFLE_BATCH:
                    continue
                if target.shuffle:
                    self._rng.shuffle(held)
                self._send_all(held)
                held = []
            finally:
                self._queue.task_done()

    def _send_all(self, batch: list[tuple[WebhookTarget, bytes, bool]]) -> None:
        for target, body, replayed in batch:
            self._send(target, body, replayed=replayed)
            if self._rng.random() < target.duplicate_rate:
                self._send(target, body, replayed=True)

    def _send(self, target: WebhookTarget, body: bytes, *, replayed: bool) -> None:
        forged = self._rng.random() < target.bad_signature_rate
        signature = sign(target.network, b"forged" if forged else target.secret.encode(), body)
        header = "x-twitter-webhooks-signature" if target.network == "twitter" else "X-Hub-Signature-256"
        request = urllib.request.Request(  # noqa: S310 (http(s) only: checked by the control API)
            target.url, data=body, method="POST", headers={"Content-Type": "application/json", header: signature}
        )
        try:
            # http(s) only: the control API refuses any other scheme.
            with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT) as answer:  # noqa: S310  # nosec B310
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (OSError, ValueError):
            status = 0  # unreachable: the network would retry later; the sandbox counts it
        with self.lock:
            target.answers[status] += 1
            if not forged and not replayed:  # what a replay would send again
                target.sent.append(body)


class Chatter(threading.Thread):
    """Says something every `interval` seconds; a failing tick is logged, not fatal."""

    def __init__(self, speak: Callable[[int], None], *, interval: float) -> None:
        super().__init__(name="sandbox-public-chatter", daemon=True)
        self.speak = speak
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        tick = 0
        while not self._stop_event.wait(self.interval):
            tick += 1
            try:
                self.speak(tick)
            except Exception:
                logger.exception("The sandbox public's chatter failed a tick")

    def stop(self) -> None:
        self._stop_event.set()


def sign(network: str, secret: bytes, body: bytes) -> str:
    """The network's signature header value for `body`: X `sha256=<base64>`, Meta `sha256=<hex>`."""
    digest = hmac.new(secret, body, hashlib.sha256)
    if network == "twitter":
        return "sha256=" + base64.b64encode(digest.digest()).decode()
    return "sha256=" + digest.hexdigest()


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def spread(count: int, seconds: float) -> list[timedelta]:
    """How long before now each of `count` items was said, oldest first, over `seconds`."""
    if count <= 0:
        return []
    step = seconds / count
    return [timedelta(seconds=seconds - step * index) for index in range(count)]


def speak(
    book: PublicBook,
    new_id: Callable[[], str],
    *,
    network: str,
    account: str,
    lines: Sequence[Line],
    our_posts: Sequence[str],
    spread_seconds: float = 3600.0,
) -> list[Said]:
    """Say `lines` to the account under `our_posts` (the ids its network shows for them),
    in order, then apply the script's edits and deletions. `new_id` gives unique numbers."""
    said: list[Said] = []
    # Spread over the past, but never before what was already said to the account: the
    # networks list by time, and nobody posts in the past.
    floor = book.latest(network, account) or datetime.min.replace(tzinfo=UTC)
    for line, ago in zip(lines, spread(len(lines), spread_seconds), strict=True):
        post = our_posts[line.post] if line.post is not None else ""
        answered = said[line.answers] if line.answers is not None else None
        number = new_id()
        item_id = _item_id(network, account, line, post, answered, number)
        if network == "twitter":
            thread = answered.thread if answered else (post if line.kind == REPLY else item_id)
        else:
            thread = post or item_id
        parent = answered.id if answered else post
        said.append(
            book.add(
                Said(
                    network=network,
                    account=account,
                    id=item_id,
                    kind=line.kind,
                    category=line.category,
                    language=line.language,
                    text=line.text,
                    author=line.author,
                    created_at=max(datetime.now(UTC) - ago, floor),
                    post=post,
                    parent=parent,
                    thread=thread,
                )
            )
        )
    for line, item in zip(lines, said, strict=True):
        if line.edit:
            book.edit(item, line.edit, version_id=new_id() if network == "twitter" else "")
        if line.delete:
            book.delete(item)
    return said


def _item_id(network: str, account: str, line: Line, post: str, answered: Said | None, number: str) -> str:
    """An id shaped like the network's own for what the line is."""
    if network == "twitter":
        return number
    if network == "facebook":
        if line.kind == VISITOR_POST:
            return f"{account}_{number}"
        return f"{(post or account).rsplit('_', 1)[-1]}_{number}"  # comments: <post object id>_<comment id>
    if network == "youtube":
        token = base64.urlsafe_b64encode(hashlib.sha256(number.encode()).digest()).decode()[:22]
        return f"{answered.id}.{token}" if answered else f"Ug{token}"
    return f"{account.split('@')[0]}-{post or account}-{number}"  # Flickr comment ids
