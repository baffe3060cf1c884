"""The built-in starter library, written by us in plain language. Loaded by a data migration; a clinic copies
a program into its own library to change it."""

NARRATIVES = {
    "Hurt does not mean harm": (
        "Back pain is very common, and it is real. But **how much it hurts is not a measure of damage**. "
        "Pain is your body's alarm system, and after a while the alarm can become extra sensitive: it can go "
        "off with movements that are safe.\n\nScans often show changes (like 'wear and tear' or disc bulges) "
        "in people with no pain at all. These changes are a normal part of ageing, like grey hair on the inside.",
        "Pain is real, but it is not a sign of damage.\nYour back is strong and designed to move.\n"
        "Scan findings are common in people without pain.",
    ),
    "Your back is strong": (
        "The spine is one of the strongest structures in your body. It is built from bones, discs, muscles and "
        "ligaments that **adapt and get stronger when they are used**. Protecting your back by bracing, moving "
        "stiffly or avoiding bending can keep pain going. Relaxed, normal movement helps it settle.",
        "Your spine is strong and adaptable.\nGuarding and bracing can keep pain going.\nRelaxed movement helps.",
    ),
    "Stress, sleep and pain": (
        "Pain is affected by more than the body. **Poor sleep, worry, low mood and stress** can all turn the "
        "volume of pain up. Small changes, like a regular bedtime, time outdoors and doing things you enjoy, "
        "can turn it down again.",
        "Sleep and stress change how much pain you feel.\nSmall lifestyle changes can turn pain down.",
    ),
    "Flare-ups happen, and they pass": (
        "Most people have flare-ups along the way. A flare-up is **not a setback or new damage**: it is a "
        "sensitive system reacting. Having a plan helps: stay gently active, relax your body, and keep going "
        "with your activities at a level you can manage.",
        "Flare-ups are normal and they settle.\nA plan helps you stay in control.",
    ),
    "Getting back to work": (
        "Work is usually good for your back and your health. Returning step by step, with a plan agreed with "
        "your employer, helps you build confidence. You do not need to be pain-free to go back to work.",
        "Work is good for recovery.\nYou do not need to be pain-free to return.",
    ),
    # One narrative written for each belief item of the check-in (patients/beliefs.py), in the same style.
    "Back pain does not have to run your life": (
        "Back pain can take over: plans get cancelled, hobbies stop, work feels hard. That is understandable, "
        "but **the pain does not decide how big a part of your life it takes up**. People with the same pain "
        "live very different lives with it.\n\nPick one thing that matters to you and that pain has pushed "
        "aside, and start it again in a small way. Doing things you value, even in small steps, is part of "
        "getting better, not something that has to wait until the pain has gone.",
        "Pain does not have to decide what you do.\nStart again with something that matters, in small steps.\n"
        "You do not have to wait for the pain to go.",
    ),
    "You can influence your pain": (
        "It can feel as if pain comes and goes on its own. In fact **what you do changes it**: how you move, "
        "how tense you are, how you sleep, how you pace your day and how you respond to a bad day all turn the "
        "volume of pain up or down.\n\nNotice what makes a difference for you. Relaxed breathing, moving "
        "without bracing and keeping a steady level of activity are skills: they get easier and work better "
        "with practice.",
        "What you do changes your pain.\nRelaxing, moving and pacing are skills you can practise.\n"
        "Notice what helps you, and do more of it.",
    ),
    "Treatment works, and you are part of it": (
        "Many people with long-lasting back pain improve, even after other treatments did not help. This "
        "program is based on research with people like you: **understanding pain, moving with confidence and "
        "building activity step by step** reduces pain and disability for many.\n\nThe changes come from "
        "what you practise between sessions, with our support. Progress is rarely a straight line, so judge it "
        "over weeks, not days.",
        "People with long-lasting back pain can and do improve.\nThe program works through what you practise.\n"
        "Judge your progress over weeks, not days.",
    ),
    "When you worry about your back": (
        "It is natural to worry when your back hurts, especially if pain has lasted a long time. But "
        "**serious causes of back pain are rare**, and we have checked for the warning signs. Worry makes the "
        "body's alarm system more sensitive, and it can make you avoid moving, which keeps pain going.\n\n"
        "A flare-up is a sensitive system reacting, not new damage. If something new worries you, tell us: "
        "we would rather hear about it than have you worry alone.",
        "Serious causes of back pain are rare.\nWorry turns pain up; understanding turns it down.\n"
        "Tell us if something new worries you.",
    ),
}

# The beliefs each built-in narrative addresses (values of `programs.models.Belief`).
NARRATIVE_BELIEFS = {
    "Hurt does not mean harm": ("consequences", "concern"),
    "Your back is strong": ("personal_control", "concern"),
    "Stress, sleep and pain": ("personal_control",),
    "Flare-ups happen, and they pass": ("personal_control", "concern"),
    "Getting back to work": ("consequences",),
    "Back pain does not have to run your life": ("consequences",),
    "You can influence your pain": ("personal_control",),
    "Treatment works, and you are part of it": ("treatment_control",),
    "When you worry about your back": ("concern",),
}

COPING = {
    "Relaxed breathing": (
        "Sit or lie comfortably. Breathe slowly into your belly for a count of four, and out for a count of six. "
        "Let your back and stomach muscles soften as you breathe out. Repeat for two to three minutes.",
        "When you notice yourself bracing, holding your breath, or when pain rises.",
    ),
    "Flare-up plan": (
        "1. Remind yourself: this is a flare, not damage. 2. Use relaxed breathing. 3. Keep moving gently; "
        "avoid bed rest. 4. Keep up your activities at a lower level for a few days. 5. Contact us if it does "
        "not settle within a week or if you notice any warning signs.",
        "When your pain is much worse than usual.",
    ),
    "Relaxed bending": (
        "Stand with your feet apart. Let your back round and your head and arms hang as you bend forward a "
        "little, breathing out. Come back up slowly. Stay relaxed rather than stiff; move within comfort.",
        "Before and during tasks you have been avoiding, like picking things up.",
    ),
    "Pacing your day": (
        "Break big jobs into smaller parts and plan short breaks. Aim to do about the same each day, rather "
        "than a lot on good days and nothing on bad days.",
        "When you tend to overdo things on good days.",
    ),
}

# title: (activity, unit, baseline, increase_kind, increase, goal)
ACTIVITIES = {
    "Walking": ("Walking at a comfortable pace", "minutes", "10", "percent", "20", "30"),
    "Sit to stand": ("Standing up from a chair and sitting down, relaxed", "repetitions", "10", "percent", "20", "30"),
    "Time at work tasks": ("Sitting or standing at work tasks", "minutes", "30", "absolute", "15", "120"),
    "Gardening": ("Light gardening", "minutes", "10", "percent", "15", "45"),
}

# title: (kind, weeks, description, [(component kind, title, start_week, end_week)])
PROGRAMS = {
    "Acute flare: settle and stay active": (
        "acute_flare",
        6,
        "For a recent flare-up: understand it, stay gently active, and get back to normal activities.",
        [
            ("narrative", "Flare-ups happen, and they pass", 1, 2),
            ("narrative", "Hurt does not mean harm", 2, None),
            ("coping", "Flare-up plan", 1, None),
            ("coping", "Relaxed breathing", 1, None),
            ("activity", "Walking", 1, None),
        ],
    ),
    "Persistent pain: make sense of pain and move with confidence": (
        "persistent",
        12,
        "For pain that has lasted more than three months: rethink pain, relax into movement, build activity.",
        [
            ("narrative", "Hurt does not mean harm", 1, 2),
            ("narrative", "Your back is strong", 2, 4),
            ("narrative", "Stress, sleep and pain", 4, None),
            ("narrative", "Flare-ups happen, and they pass", 6, None),
            ("coping", "Relaxed breathing", 1, None),
            ("coping", "Relaxed bending", 2, None),
            ("coping", "Flare-up plan", 3, None),
            ("activity", "Walking", 1, None),
            ("activity", "Sit to stand", 2, None),
        ],
    ),
    "Return to work": (
        "return_to_work",
        12,
        "For people off work or struggling at work because of back pain: a graded plan back to usual duties.",
        [
            ("narrative", "Hurt does not mean harm", 1, 3),
            ("narrative", "Getting back to work", 2, None),
            ("coping", "Pacing your day", 1, None),
            ("coping", "Flare-up plan", 1, None),
            ("activity", "Time at work tasks", 1, None),
            ("activity", "Walking", 1, None),
        ],
    ),
}


def tag_narratives(apps: object) -> None:
    """Give the built-in narratives their belief tags (`NARRATIVE_BELIEFS`), with a migration's models."""
    Narrative = apps.get_model("programs", "Narrative")  # type: ignore[attr-defined]
    for title, beliefs in NARRATIVE_BELIEFS.items():
        Narrative.objects.filter(clinic=None, title=title).update(beliefs=list(beliefs))


def load(apps: object) -> None:
    """Create the built-in library with the historical models of a migration (idempotent)."""
    get = apps.get_model  # type: ignore[attr-defined]
    Narrative, NarrativeVersion = get("programs", "Narrative"), get("programs", "NarrativeVersion")
    CopingStrategy, GradedActivity = get("programs", "CopingStrategy"), get("programs", "GradedActivity")
    Program, ProgramItem = get("programs", "Program"), get("programs", "ProgramItem")
    components: dict[tuple[str, str], object] = {}
    for title, (body, messages) in NARRATIVES.items():
        narrative, created = Narrative.objects.get_or_create(clinic=None, title=title)
        if created:
            NarrativeVersion.objects.create(narrative=narrative, version=1, body=body, key_messages=messages)
        components["narrative", title] = narrative
    for title, (instructions, when) in COPING.items():
        components["coping", title], _ = CopingStrategy.objects.get_or_create(
            clinic=None, title=title, defaults={"instructions": instructions, "when_to_use": when}
        )
    for title, (activity, unit, baseline, kind, increase, goal) in ACTIVITIES.items():
        components["activity", title], _ = GradedActivity.objects.get_or_create(
            clinic=None,
            title=title,
            defaults={
                "activity": activity,
                "unit": unit,
                "baseline": baseline,
                "increase_kind": kind,
                "increase": increase,
                "goal": goal,
            },
        )
    field = {"narrative": "narrative", "coping": "coping_strategy", "activity": "graded_activity"}
    for title, (kind, weeks, description, items) in PROGRAMS.items():
        program, created = Program.objects.get_or_create(
            clinic=None, title=title, defaults={"kind": kind, "weeks": weeks, "description": description}
        )
        if not created:
            continue
        for order, (component_kind, component_title, start, end) in enumerate(items, start=1):
            ProgramItem.objects.create(
                program=program,
                order=order,
                start_week=start,
                end_week=end,
                **{field[component_kind]: components[component_kind, component_title]},
            )


# The library in Norwegian Bokmål, by the English title: the same meaning in plain words for patients. A narrative's
# text is a version in "nb"; a coping strategy's and an activity's are translation rows (`load_translations`).
NARRATIVES_NB = {
    "Hurt does not mean harm": (
        "Vondt betyr ikke skade",
        "Ryggsmerter er svært vanlig, og smertene er virkelige. Men **hvor vondt det gjør, sier ikke hvor stor "
        "skaden er**. Smerte er kroppens alarmsystem, og etter en tid kan alarmen bli ekstra følsom: den kan gå "
        "av ved bevegelser som er trygge.\n\nBilder av ryggen viser ofte forandringer (som «slitasje» eller "
        "skiveutbuktninger) hos folk som ikke har vondt i det hele tatt. Slike forandringer er en normal del av "
        "det å bli eldre, som grå hår på innsiden.",
        "Smerten er virkelig, men den er ikke et tegn på skade.\nRyggen din er sterk og laget for å bevege seg.\n"
        "Funn på bilder er vanlige hos folk uten smerter.",
    ),
    "Your back is strong": (
        "Ryggen din er sterk",
        "Ryggsøylen er en av de sterkeste delene av kroppen din. Den er bygd av knokler, skiver, muskler og "
        "leddbånd som **tilpasser seg og blir sterkere når de blir brukt**. Å beskytte ryggen ved å spenne seg, "
        "bevege seg stivt eller unngå å bøye seg kan holde smertene ved like. Avslappet, vanlig bevegelse hjelper "
        "smertene å roe seg.",
        "Ryggsøylen din er sterk og tilpasser seg.\nÅ spenne seg og beskytte ryggen kan holde smertene ved like.\n"
        "Avslappet bevegelse hjelper.",
    ),
    "Stress, sleep and pain": (
        "Stress, søvn og smerte",
        "Smerte påvirkes av mer enn kroppen. **Dårlig søvn, bekymring, nedstemthet og stress** kan alle skru opp "
        "smertene. Små endringer, som å legge deg til faste tider, være mer ute og gjøre ting du liker, kan skru "
        "dem ned igjen.",
        "Søvn og stress påvirker hvor mye smerte du kjenner.\nSmå endringer i hverdagen kan skru ned smertene.",
    ),
    "Flare-ups happen, and they pass": (
        "Oppblussinger kommer, og de går over",
        "De fleste får oppblussinger underveis. En oppblussing er **ikke et tilbakeslag eller en ny skade**: det "
        "er et følsomt system som reagerer. Det hjelper å ha en plan: hold deg i lett aktivitet, slapp av i "
        "kroppen, og fortsett med aktivitetene dine på et nivå du klarer.",
        "Oppblussinger er vanlige, og de roer seg.\nEn plan hjelper deg å beholde kontrollen.",
    ),
    "Getting back to work": (
        "Tilbake i jobb",
        "Arbeid er som regel bra for ryggen og helsen din. Å komme tilbake steg for steg, med en plan du har avtalt "
        "med arbeidsgiveren din, hjelper deg å bli tryggere. Du trenger ikke være smertefri for å gå tilbake til "
        "jobb.",
        "Arbeid er bra for bedringen.\nDu trenger ikke være smertefri for å komme tilbake.",
    ),
    "Back pain does not have to run your life": (
        "Ryggsmertene trenger ikke styre livet ditt",
        "Ryggsmerter kan ta over: planer blir avlyst, hobbyer stopper opp, og jobben kjennes tung. Det er "
        "forståelig, men **det er ikke smerten som bestemmer hvor stor plass den får i livet ditt**. Folk med de "
        "samme smertene lever svært ulike liv med dem.\n\nVelg én ting som betyr noe for deg, og som smertene har "
        "skjøvet til side, og begynn med den igjen i det små. Å gjøre ting du setter pris på, selv i små steg, er "
        "en del av å bli bedre, ikke noe som må vente til smertene er borte.",
        "Smertene trenger ikke bestemme hva du gjør.\nBegynn igjen med noe som betyr noe for deg, i små steg.\n"
        "Du trenger ikke vente til smertene er borte.",
    ),
    "You can influence your pain": (
        "Du kan påvirke smertene dine",
        "Det kan føles som om smertene kommer og går av seg selv. Men **det du gjør, påvirker dem**: hvordan du "
        "beveger deg, hvor anspent du er, hvordan du sover, hvordan du fordeler aktiviteten gjennom dagen og "
        "hvordan du møter en dårlig dag, skrur alt sammen smertene opp eller ned.\n\nLegg merke til hva som gjør "
        "en forskjell for deg. Avslappet pust, å bevege seg uten å spenne seg og å holde et jevnt aktivitetsnivå "
        "er ferdigheter: de blir lettere og virker bedre jo mer du øver.",
        "Det du gjør, påvirker smertene dine.\nÅ slappe av, bevege seg og fordele aktiviteten er ferdigheter du "
        "kan øve på.\nLegg merke til hva som hjelper deg, og gjør mer av det.",
    ),
    "Treatment works, and you are part of it": (
        "Behandlingen virker, og du er en del av den",
        "Mange med langvarige ryggsmerter blir bedre, også etter at annen behandling ikke har hjulpet. Dette "
        "programmet bygger på forskning med folk som deg: **å forstå smerten, bevege seg med trygghet og øke "
        "aktiviteten steg for steg** gir mindre smerte og bedre funksjon i hverdagen for mange.\n\nEndringene "
        "kommer av det du øver på mellom timene, med støtte fra oss. Fremgangen går sjelden i en rett linje, så "
        "vurder den over uker, ikke dager.",
        "Folk med langvarige ryggsmerter kan bli bedre, og mange blir det.\nProgrammet virker gjennom det du øver "
        "på.\nVurder fremgangen over uker, ikke dager.",
    ),
    "When you worry about your back": (
        "Når du er bekymret for ryggen",
        "Det er naturlig å bekymre seg når ryggen gjør vondt, særlig hvis smertene har vart lenge. Men **alvorlige "
        "årsaker til ryggsmerter er sjeldne**, og vi har sjekket for faresignalene. Bekymring gjør kroppens "
        "alarmsystem mer følsomt, og den kan få deg til å unngå å bevege deg, noe som holder smertene ved like."
        "\n\nEn oppblussing er et følsomt system som reagerer, ikke en ny skade. Hvis noe nytt bekymrer deg, si "
        "fra til oss: vi vil heller høre om det enn at du går og bekymrer deg alene.",
        "Alvorlige årsaker til ryggsmerter er sjeldne.\nBekymring skrur opp smertene; forståelse skrur dem ned.\n"
        "Si fra til oss hvis noe nytt bekymrer deg.",
    ),
}

COPING_NB = {
    "Relaxed breathing": (
        "Avslappet pust",
        "Sitt eller ligg godt. Pust rolig ned i magen mens du teller til fire, og ut mens du teller til seks. La "
        "rygg- og magemusklene slappe av når du puster ut. Gjør dette i to til tre minutter.",
        "Når du merker at du spenner deg eller holder pusten, eller når smertene øker.",
    ),
    "Flare-up plan": (
        "Plan for oppblussing",
        "1. Minn deg selv på: dette er en oppblussing, ikke en skade. 2. Bruk avslappet pust. 3. Fortsett å "
        "bevege deg rolig; unngå sengeleie. 4. Hold aktivitetene dine i gang på et lavere nivå i noen dager. "
        "5. Kontakt oss hvis det ikke roer seg i løpet av en uke, eller hvis du merker noen faresignaler.",
        "Når smertene er mye verre enn vanlig.",
    ),
    "Relaxed bending": (
        "Avslappet foroverbøying",
        "Stå med litt avstand mellom føttene. La ryggen bli rund og hodet og armene henge mens du bøyer deg litt "
        "fremover og puster ut. Kom rolig opp igjen. Vær avslappet i stedet for stiv; beveg deg så langt det "
        "kjennes greit.",
        "Før og under oppgaver du har unngått, som å plukke opp ting.",
    ),
    "Pacing your day": (
        "Fordel aktivitetene gjennom dagen",
        "Del store oppgaver opp i mindre deler, og planlegg korte pauser. Prøv å gjøre omtrent like mye hver dag, i "
        "stedet for mye på gode dager og ingenting på dårlige dager.",
        "Når du har lett for å gjøre for mye på gode dager.",
    ),
}

# title: (Norwegian title, activity)
ACTIVITIES_NB = {
    "Walking": ("Gå tur", "Gå i et behagelig tempo"),
    "Sit to stand": ("Reise seg fra stol", "Reise deg fra en stol og sette deg ned igjen, avslappet"),
    "Time at work tasks": ("Tid med arbeidsoppgaver", "Sitte eller stå med arbeidsoppgaver"),
    "Gardening": ("Hagearbeid", "Lett hagearbeid"),
}


def load_translations(apps: object) -> None:
    """Give the built-in library its Norwegian texts, with a migration's models (idempotent: a language that
    already has a text is left as it is)."""
    get = apps.get_model  # type: ignore[attr-defined]
    Narrative, NarrativeVersion = get("programs", "Narrative"), get("programs", "NarrativeVersion")
    CopingStrategy, GradedActivity = get("programs", "CopingStrategy"), get("programs", "GradedActivity")
    CopingText = get("programs", "CopingStrategyTranslation")
    ActivityText = get("programs", "GradedActivityTranslation")
    for narrative in Narrative.objects.filter(clinic=None, title__in=NARRATIVES_NB).exclude(language="nb"):
        if narrative.versions.filter(language="nb").exists():
            continue
        title, body, messages = NARRATIVES_NB[narrative.title]
        latest = max(narrative.versions.values_list("version", flat=True), default=0)
        NarrativeVersion.objects.create(
            narrative=narrative, version=latest + 1, language="nb", title=title, body=body, key_messages=messages
        )
    for strategy in CopingStrategy.objects.filter(clinic=None, title__in=COPING_NB).exclude(language="nb"):
        title, instructions, when = COPING_NB[strategy.title]
        CopingText.objects.get_or_create(
            coping_strategy=strategy,
            language="nb",
            defaults={"title": title, "instructions": instructions, "when_to_use": when},
        )
    for activity in GradedActivity.objects.filter(clinic=None, title__in=ACTIVITIES_NB).exclude(language="nb"):
        title, words = ACTIVITIES_NB[activity.title]
        ActivityText.objects.get_or_create(
            graded_activity=activity, language="nb", defaults={"title": title, "activity": words}
        )
