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
