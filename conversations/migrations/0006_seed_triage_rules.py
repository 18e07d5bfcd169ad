"""The press office's first keyword packs, in the missions' main languages, and the service
targets per category (proposed defaults from shared research, d.6: distress 1 h and crisis
30 min around the clock, press 4 business hours, consular 1 business day, policy 2). The
press office edits them on the triage pages; missions add their own packs.

Terms: one per line; a trailing * matches the start of a word; Arabic, Chinese and Japanese
terms are found anywhere in the text (conversations/services/triage.py)."""

from django.db import migrations

URGENT, HIGH, NORMAL, LOW = 1, 2, 3, 4

# category: (order, priority, tags); the first pack that matches, in order, decides.
CATEGORIES = {
    "distress": (10, URGENT, ["distress"]),
    "threat": (20, URGENT, ["threat"]),
    "crisis": (30, URGENT, ["crisis"]),
    "spam": (40, LOW, ["spam"]),
    "press": (50, HIGH, ["press"]),
    "consular": (60, NORMAL, ["consular"]),
    "policy": (70, NORMAL, ["policy"]),
    "hostile": (80, LOW, ["hostile"]),
    "praise": (90, LOW, ["praise"]),
}

TERMS = {
    "en": {
        "distress": "help\nhelp me\narrest*\ndetained\nhospital*\nmissing\nkidnap*\nstranded\nlost my passport\n"
        "passport stolen\nemergency\ninjured\ndied",
        "threat": "kill*\ni will find you\nbomb*\nshoot*\nyou will pay",
        "crisis": "earthquake\nevacuat*\nshelter\nattack*\nflood*\ncurfew\nexplosion*",
        "spam": "click\ncheap visa*\ndm me\ncrypto*\nbitcoin\nwin\nfree money\ngiveaway",
        "press": "journalist*\npress enquir*\npress inquir*\nreporter*\ninterview*\nfor comment\ncomment on\nstatement",
        "consular": "passport*\nvisa*\nconsulat*\nappointment*\nbirth certificate\nlegali*\nregistration",
        "policy": "minister*\nsanction*\nforeign policy\ntreaty\nsummit*\nelection*",
        "hostile": "liar*\nshame on you\nidiot*\ndisgrace*\npropaganda",
        "praise": "thank*\nthanks\nproud\nbravo\nwell done\ngreat",
    },
    "fr": {
        "distress": "au secours\naidez moi\narrêté*\narrêtée*\ndétenu*\nhôpital\ndisparu*\nenlevé*\nbloqué*\n"
        "passeport perdu\npasseport volé\nurgence\nblessé*\ndécédé*",
        "threat": "tuer\nje vais te\nbombe*\nvous allez payer",
        "crisis": "séisme\ntremblement de terre\névacu*\nattentat*\ninondation*\ncouvre feu\nexplosion*",
        "spam": "gagnez\npas cher*\nécrivez moi\ncrypto*\nbitcoin\ncliquez",
        "press": "journaliste*\ndemande presse\ndemande de presse\ninterview*\ncommenter\ndéclaration",
        "consular": "passeport*\nvisa*\nconsulat*\nrendez vous\nétat civil\nlégalisation*\ninscription",
        "policy": "ministre*\nsanction*\npolitique étrangère\ntraité\nsommet*\nélection*",
        "hostile": "menteur*\nmenteuse*\nhonte à vous\nidiot*\npropagande",
        "praise": "merci\nbravo\nfier\nfière\nsuperbe\nfélicitations",
    },
    "ar": {
        "distress": "النجدة\nساعدوني\nاعتقل\nمحتجز\nمستشفى\nمفقود\nخطف\nعالق\nفقدت جواز\nسرق جواز\nطوارئ",
        "threat": "سأقتل\nسنقتل\nقنبلة\nستدفعون الثمن",
        "crisis": "زلزال\nإخلاء\nهجوم\nفيضان\nحظر تجول\nانفجار",
        "spam": "اربح\nرخيصة\nراسلني\nبيتكوين",
        "press": "صحفي\nاستفسار صحفي\nمقابلة\nتعليق\nتصريح",
        "consular": "جواز\nتأشير\nالقنصلي\nموعد\nتصديق",
        "policy": "الوزير\nوزير\nعقوبات\nالقمة\nمعاهدة",
        "hostile": "كاذب\nكذاب\nعار عليكم\nدعاية",
        "praise": "شكرا\nفخور\nأحسنتم\nرائع",
    },
    "es": {
        "distress": "ayuda\ndetuv*\ndetenid*\nhospital\ndesaparecid*\nsecuestr*\natrapad*\nperdí mi pasaporte\n"
        "emergencia\nurgencia\nherid*",
        "threat": "matar\nos mataré\nbomba*\nvais a pagar",
        "crisis": "terremoto\nsismo\nevacu*\natentado*\ninundaci*\ntoque de queda\nexplosi*",
        "spam": "gana\nbaratos\nbaratas\nescríbeme\ncripto*\nbitcoin",
        "press": "periodista*\nconsulta de prensa\nprensa\nentrevista*\ncomentar\ndeclaraci*",
        "consular": "pasaporte*\nvisado*\nvisa\nvisas\nconsulado*\ncita*",
        "policy": "ministr*\nsancion*\ncumbre*\ntratado*\nelecci*",
        "hostile": "mentiros*\nvergüenza\npropaganda\nidiota*",
        "praise": "gracias\norgullos*\nbravo\nenhorabuena\nfelicidades",
    },
    "de": {
        "distress": "hilfe\nverhaftet\nfestgenommen\nkrankenhaus\nvermisst\nentführ*\ngestrandet\npass verloren\n"
        "pass gestohlen\nnotfall\nverletzt",
        "threat": "töten\numbringen\nbombe*\nihr werdet bezahlen",
        "crisis": "erdbeben\nevakuierung*\nanschlag*\nüberschwemmung*\nausgangssperre\nexplosion*",
        "spam": "gewinnen\nbillige*\nschreib mir\nkrypto*\nbitcoin",
        "press": "journalist*\npresseanfrage*\ninterview*\nkommentieren\nstellungnahme",
        "consular": "pass\nreisepass*\nvisum\nvisa\nkonsulat*\ntermin*",
        "policy": "minister*\nsanktion*\ngipfel*\naußenpolitik\nvertrag",
        "hostile": "lügner*\nschämt euch\npropaganda\nidiot*",
        "praise": "danke\nstolz\nbravo\ntoll*\nsuper",
    },
    "ja": {
        "distress": "助けて\n逮捕\n拘束\n病院\n行方不明\n誘拐\n立ち往生\nパスポートをなくし\nパスポートを紛失\n緊急",
        "threat": "殺す\n殺してやる\n爆破",
        "crisis": "地震\n避難\nテロ\n洪水\n外出禁止\n爆発",
        "spam": "当選\n無料\nクリック\n仮想通貨",
        "press": "記者\n取材\nインタビュー\nコメントを",
        "consular": "パスポート\n旅券\nビザ\n査証\n領事館\n予約",
        "policy": "大臣\n制裁\n首脳会談\nサミット\n外交",
        "hostile": "嘘つき\n恥を知れ\nプロパガンダ",
        "praise": "ありがとう\n誇り\n素晴らしい",
    },
    "ru": {
        "distress": "помогите\nарестова*\nзадержа*\nбольниц*\nпропал*\nпохищ*\nзастрял*\nпотерял паспорт\n"
        "потеряла паспорт\nсрочно",
        "threat": "убью\nубить\nбомб*\nвы заплатите",
        "crisis": "землетрясени*\nэвакуац*\nтеракт*\nнаводнени*\nкомендантский час\nвзрыв*",
        "spam": "выиграй*\nдешёв*\nпишите\nкрипто*\nбиткоин",
        "press": "журналист*\nзапрос прессы\nпресс*\nинтервью\nпрокомментир*\nзаявлени*",
        "consular": "паспорт*\nвиза\nвизы\nвизу\nконсульств*\nзапис*",
        "policy": "министр*\nсанкци*\nсаммит*\nдоговор*\nвыбор*",
        "hostile": "лжец*\nлжецы\nпозор*\nпропаганд*",
        "praise": "спасибо\nгорд*\nотличн*\nмолодцы",
    },
    "pt": {
        "distress": "socorro\najuda\nfoi preso\nfoi presa\ndetid*\nhospital\ndesaparecid*\nsequestr*\npreso no aeroporto\n"
        "perdi o passaporte\nemergência",
        "threat": "matar\nbomba*\nvão pagar",
        "crisis": "terremoto\nsismo\nevacua*\natentado*\ninundaç*\ntoque de recolher\nexplos*",
        "spam": "ganhe\nvistos baratos\nfale comigo\ncripto*\nbitcoin",
        "press": "jornalista*\npedido de imprensa\nimprensa\nentrevista*\ncomentar\ndeclaraç*",
        "consular": "passaporte*\nvisto*\nconsulado*\nmarcação*",
        "policy": "ministr*\nsanç*\ncimeira*\ncúpula*\ntratado*",
        "hostile": "mentiros*\nvergonha\npropaganda",
        "praise": "obrigad*\norgulho*\nparabéns\nótim*",
    },
    "zh": {
        "distress": "救命\n被捕\n拘留\n医院\n失踪\n绑架\n被困\n护照丢了",
        "threat": "杀了\n炸弹",
        "crisis": "地震\n撤离\n袭击\n洪水\n宵禁\n爆炸",
        "spam": "赢取\n便宜签证\n私信",
        "press": "记者\n媒体\n采访\n评论",
        "consular": "护照\n签证\n领事馆\n预约",
        "policy": "部长\n制裁\n峰会\n外交",
        "hostile": "骗子\n丢人",
        "praise": "谢谢\n骄傲\n很棒",
    },
}

NAMES = {
    "distress": "Distress",
    "threat": "Threats",
    "crisis": "Crisis",
    "spam": "Spam and scams",
    "press": "Press",
    "consular": "Consular",
    "policy": "Policy",
    "hostile": "Hostility",
    "praise": "Praise",
}

# category: (minutes, around the clock); no minutes: no clock.
TARGETS = {
    "unsorted": (480, False),
    "consular": (480, False),
    "distress": (60, True),
    "press": (240, False),
    "policy": (960, False),
    "crisis": (30, True),
    "hostile": (480, False),
    "spam": (480, False),
    "threat": (60, True),
    "praise": (None, False),
}


def seed(apps, schema_editor):
    KeywordPack = apps.get_model("conversations", "KeywordPack")
    ServiceTarget = apps.get_model("conversations", "ServiceTarget")
    for language, packs in TERMS.items():
        for category, terms in packs.items():
            position, priority, tags = CATEGORIES[category]
            KeywordPack.objects.get_or_create(
                name=f"{NAMES[category]} ({language})",
                language=language,
                mission=None,
                defaults={
                    "category": category,
                    "priority": priority,
                    "tags": tags,
                    "terms": terms,
                    "position": position,
                },
            )
    for category, (minutes, always_on) in TARGETS.items():
        ServiceTarget.objects.get_or_create(category=category, defaults={"minutes": minutes, "always_on": always_on})


def unseed(apps, schema_editor):
    apps.get_model("conversations", "KeywordPack").objects.filter(mission=None).delete()
    apps.get_model("conversations", "ServiceTarget").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("conversations", "0005_triage_rules_and_targets")]

    operations = [migrations.RunPython(seed, unseed)]
