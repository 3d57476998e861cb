#!/usr/bin/env python3
"""Generates Markdown documents for Hearth's ingestion benchmark.

    python3 bench/corpus/make_markdown.py OUT_DIR [--count 20] [--words 2000] [--seed 1]

Writes OUT_DIR/doc-001.md ... doc-NNN.md, each about --words words long: a "#" title, then "##"
(and now and then "###") headings every three to five paragraphs, with varied, grammatical English
prose built from templates and per-topic word lists (no lorem ipsum), the odd bullet list, and a
table in some documents. Each document has its own topic, place names and people, so documents
differ in vocabulary the way a real knowledge base does. The output depends only on the arguments:
the same seed gives byte-identical files. Standard library only; the output is not committed.
"""

import argparse
import os
import random

# Each topic: nouns (singular, plural), people (plural roles), places, verbs (base, past),
# adjectives and heading stems. Sentences combine a topic's words with shared connective phrasing.
TOPICS = {
    "community gardening": dict(
        nouns=[("raised bed", "raised beds"), ("compost heap", "compost heaps"), ("seed tray", "seed trays"),
               ("water butt", "water butts"), ("fruit cage", "fruit cages"), ("greenhouse", "greenhouses"),
               ("hedge", "hedges"), ("tool shed", "tool sheds"), ("bean row", "bean rows"), ("orchard", "orchards")],
        people=["volunteers", "plot holders", "gardeners", "committee members", "schoolchildren", "neighbours"],
        places=["the north corner", "the old allotments", "the churchyard wall", "the community hall",
                "the riverside plots", "the market garden"],
        verbs=[("plant", "planted"), ("prune", "pruned"), ("water", "watered"), ("mulch", "mulched"),
               ("repair", "repaired"), ("clear", "cleared"), ("harvest", "harvested"), ("divide", "divided")],
        adjectives=["sheltered", "overgrown", "productive", "waterlogged", "neglected", "well-drained",
                    "sunny", "shaded"],
    ),
    "coastal sailing": dict(
        nouns=[("mooring", "moorings"), ("dinghy", "dinghies"), ("headsail", "headsails"), ("tide table", "tide tables"),
               ("harbour wall", "harbour walls"), ("chart", "charts"), ("anchor", "anchors"), ("buoy", "buoys"),
               ("life jacket", "life jackets"), ("slipway", "slipways")],
        people=["crews", "skippers", "club members", "instructors", "harbour staff", "new sailors"],
        places=["the outer harbour", "the estuary mouth", "the sandbar", "the clubhouse", "the western channel",
                "the fishing quay"],
        verbs=[("launch", "launched"), ("reef", "reefed"), ("moor", "moored"), ("inspect", "inspected"),
               ("chart", "charted"), ("tow", "towed"), ("rig", "rigged"), ("recover", "recovered")],
        adjectives=["choppy", "sheltered", "shallow", "busy", "exposed", "well-marked", "narrow", "tidal"],
    ),
    "bread baking": dict(
        nouns=[("sourdough starter", "sourdough starters"), ("loaf", "loaves"), ("proving basket", "proving baskets"),
               ("oven", "ovens"), ("dough", "doughs"), ("flour blend", "flour blends"), ("crust", "crusts"),
               ("baking stone", "baking stones"), ("recipe", "recipes"), ("bread tin", "bread tins")],
        people=["bakers", "apprentices", "customers", "students", "regulars", "kitchen staff"],
        places=["the back kitchen", "the market stall", "the village bakery", "the cold store", "the front counter",
                "the wood-fired oven room"],
        verbs=[("knead", "kneaded"), ("shape", "shaped"), ("prove", "proved"), ("bake", "baked"),
               ("score", "scored"), ("weigh", "weighed"), ("feed", "fed"), ("cool", "cooled")],
        adjectives=["dense", "airy", "crusty", "wholemeal", "slow-risen", "golden", "sticky", "rustic"],
    ),
    "amateur astronomy": dict(
        nouns=[("telescope", "telescopes"), ("eyepiece", "eyepieces"), ("star chart", "star charts"),
               ("observing log", "observing logs"), ("dew shield", "dew shields"), ("tripod", "tripods"),
               ("filter", "filters"), ("mount", "mounts"), ("camera", "cameras"), ("finder scope", "finder scopes")],
        people=["observers", "society members", "beginners", "visitors", "imagers", "students"],
        places=["the dark-sky site", "the observatory roof", "the hilltop field", "the club hut",
                "the edge of the moor", "the school playing field"],
        verbs=[("align", "aligned"), ("observe", "observed"), ("focus", "focused"), ("record", "recorded"),
               ("calibrate", "calibrated"), ("track", "tracked"), ("photograph", "photographed"), ("sketch", "sketched")],
        adjectives=["faint", "steady", "clear", "misty", "moonless", "portable", "cooled", "wide-field"],
    ),
    "railway heritage": dict(
        nouns=[("signal box", "signal boxes"), ("carriage", "carriages"), ("locomotive", "locomotives"),
               ("timetable", "timetables"), ("level crossing", "level crossings"), ("platform", "platforms"),
               ("water tower", "water towers"), ("goods shed", "goods sheds"), ("footbridge", "footbridges"),
               ("ticket office", "ticket offices")],
        people=["volunteers", "drivers", "firemen", "guards", "passengers", "restoration teams"],
        places=["the engine shed", "the branch line", "the junction", "the museum siding", "the old station yard",
                "the viaduct"],
        verbs=[("restore", "restored"), ("paint", "painted"), ("inspect", "inspected"), ("operate", "operated"),
               ("rebuild", "rebuilt"), ("catalogue", "catalogued"), ("clean", "cleaned"), ("move", "moved")],
        adjectives=["restored", "rusting", "original", "Victorian", "narrow-gauge", "busy", "disused", "steam-hauled"],
    ),
    "beekeeping": dict(
        nouns=[("hive", "hives"), ("frame", "frames"), ("queen cell", "queen cells"), ("super", "supers"),
               ("smoker", "smokers"), ("honey jar", "honey jars"), ("swarm", "swarms"), ("brood box", "brood boxes"),
               ("apiary", "apiaries"), ("mite board", "mite boards")],
        people=["beekeepers", "association members", "beginners", "mentors", "inspectors", "helpers"],
        places=["the teaching apiary", "the heather moor", "the farm orchard", "the extraction room",
                "the hedge line", "the village show"],
        verbs=[("inspect", "inspected"), ("feed", "fed"), ("mark", "marked"), ("extract", "extracted"),
               ("treat", "treated"), ("unite", "united"), ("split", "split"), ("requeen", "requeened")],
        adjectives=["calm", "busy", "queenless", "strong", "overwintered", "defensive", "heavy", "small"],
    ),
    "woodworking": dict(
        nouns=[("workbench", "workbenches"), ("chisel", "chisels"), ("dovetail joint", "dovetail joints"),
               ("plank", "planks"), ("hand plane", "hand planes"), ("saw", "saws"), ("cabinet", "cabinets"),
               ("finish", "finishes"), ("clamp", "clamps"), ("drawer", "drawers")],
        people=["joiners", "apprentices", "furniture makers", "course members", "carpenters", "hobbyists"],
        places=["the workshop", "the timber store", "the finishing room", "the sawmill", "the evening class",
                "the craft fair"],
        verbs=[("plane", "planed"), ("glue", "glued"), ("sand", "sanded"), ("measure", "measured"),
               ("sharpen", "sharpened"), ("join", "joined"), ("season", "seasoned"), ("carve", "carved")],
        adjectives=["seasoned", "warped", "hand-cut", "oiled", "oak", "reclaimed", "square", "rough-sawn"],
    ),
    "hill walking": dict(
        nouns=[("footpath", "footpaths"), ("stile", "stiles"), ("map", "maps"), ("ridge", "ridges"),
               ("summit cairn", "summit cairns"), ("bothy", "bothies"), ("compass", "compasses"),
               ("waymark", "waymarks"), ("rucksack", "rucksacks"), ("stream crossing", "stream crossings")],
        people=["walkers", "group leaders", "rangers", "newcomers", "mountain rescue volunteers", "hikers"],
        places=["the upper valley", "the forestry track", "the high pass", "the reservoir", "the village green",
                "the northern escarpment"],
        verbs=[("climb", "climbed"), ("cross", "crossed"), ("follow", "followed"), ("navigate", "navigated"),
               ("repair", "repaired"), ("survey", "surveyed"), ("mark", "marked"), ("descend", "descended")],
        adjectives=["boggy", "steep", "rocky", "well-trodden", "exposed", "grassy", "misty", "remote"],
    ),
}

FIRST_NAMES = ["Anna", "Ben", "Chloe", "David", "Esther", "Farid", "Grace", "Hamish", "Ines", "Jonah", "Kira",
               "Liam", "Maya", "Nico", "Olive", "Pavel", "Quinn", "Rhiannon", "Sanjay", "Tess", "Umar", "Vera",
               "Wes", "Yara", "Zoltan"]
LAST_NAMES = ["Abbott", "Barlow", "Carver", "Dunmore", "Evans", "Fraser", "Gill", "Hollis", "Iqbal", "Jennings",
              "Kerr", "Lomax", "Marsh", "Nolan", "Oduya", "Pryce", "Quayle", "Rowe", "Sutton", "Thorne", "Varga",
              "Whitlock", "Young"]
TOWNS = ["Ashcombe", "Brindle", "Carrowmore", "Dunhill", "Elmbridge", "Farleigh", "Greystone", "Holtby",
         "Kirkwell", "Longmere", "Marston", "Northby", "Oakenfold", "Pellworth", "Redhaven", "Saltmere"]
TIMES = ["in early spring", "during the wet autumn", "last winter", "over the summer", "at the start of the season",
         "towards the end of the year", "after the storms in February", "on most weekends", "every few weeks",
         "during the long dry spell", "before the first frosts", "in the middle of July"]
MANNERS = ["carefully", "slowly", "without much fuss", "more often than before", "with great patience",
           "in small groups", "as cheaply as possible", "by hand", "one at a time", "before anyone else arrived"]
CONNECTIVES = ["However,", "As a result,", "In practice,", "For the most part,", "At the same time,",
               "Even so,", "By contrast,", "In the end,", "For that reason,", "On balance,"]
NUMBERS = ["two", "three", "four", "five", "six", "a dozen", "twenty", "several", "a handful of", "forty"]
HEADING_STEMS = ["Notes on {np}", "The {adj} {n}", "{Vb} the {n}", "What We Learned About {np}",
                 "Looking After the {np}", "A Season at {place_t}", "{Town} and Its {np}",
                 "Problems With the {n}", "Planning for {np}", "Lessons From {place_t}"]

TEMPLATES = [
    "{People} {vpast} the {adj} {n} {time}.",
    "{Time}, {people} {vpast} {num} {np} near {place}.",
    "Most {people} agree that a {adj} {n} is easier to {vbase} than a {adj2} {n2}.",
    "{Conn} the {np} at {place} still needed to be {vpast2} {manner}.",
    "Because the {n} was {adj}, the {people} had to {vbase} it {manner}.",
    "{Person} from {town} {vpast} the {n} {time} and wrote a short note about it for the others.",
    "There were {num} {np} at {place}, and every one of them was {adj} in its own way.",
    "The {np} near {place} are usually {adj}, which makes them harder to {vbase} {manner}.",
    "{Conn} nobody expected the {n} to be so {adj} {time}.",
    "When the {people} {vpast} the {np}, they found that several were {adj} and a few were {adj2}.",
    "It is worth remembering that a {adj} {n} can usually be {vpast} {manner}.",
    "{Person} suggested that the {people} should {vbase} the {np} {time} rather than wait.",
    "The group met at {place} to decide which {np} to {vbase} first.",
    "{Conn} the {adj} {np} proved more useful than anyone had hoped.",
    "Records from {town} show that the {n} was {vpast} {num} times {time}.",
    "If the {n} is left {adj} for too long, it becomes much harder to {vbase}.",
    "A few of the {people} prefer to {vbase} the {np} {manner}, and the results are usually better.",
    "{Person} and {person2} spent an afternoon at {place} and {vpast} the last of the {np}.",
    "The old advice is to {vbase} a {adj} {n} {time}, and it still holds good.",
    "Looking back, the decision to {vbase} the {np} at {place} {time} was the right one.",
]


class Writer:
    def __init__(self, rng, topic_name):
        self.rng = rng
        self.topic_name = topic_name
        self.t = TOPICS[topic_name]
        self.cast = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(6)]
        self.town = rng.choice(TOWNS)

    def pick(self, seq):
        return self.rng.choice(seq)

    def fill(self, template):
        r, t = self.rng, self.t
        n, np_ = self.pick(t["nouns"])
        n2, _ = self.pick(t["nouns"])
        vbase, vpast = self.pick(t["verbs"])
        _, vpast2 = self.pick(t["verbs"])
        adj, adj2 = r.sample(t["adjectives"], 2)
        person, person2 = r.sample(self.cast, 2)
        people = self.pick(t["people"])
        time = self.pick(TIMES)
        s = template.format(
            n=n, np=np_, n2=n2, vbase=vbase, vpast=vpast, vpast2=vpast2, adj=adj, adj2=adj2,
            people=people, People=people[0].upper() + people[1:], person=person, Person=person,
            person2=person2, place=self.pick(t["places"]), town=self.town if r.random() < 0.6 else self.pick(TOWNS),
            time=time, Time=time[0].upper() + time[1:], manner=self.pick(MANNERS), num=self.pick(NUMBERS),
            Conn=self.pick(CONNECTIVES),
        )
        return fix_articles(s)

    def paragraph(self):
        return " ".join(self.fill(self.pick(TEMPLATES)) for _ in range(self.rng.randint(4, 7)))

    def heading(self):
        t = self.t
        n, np_ = self.pick(t["nouns"])
        vbase, _ = self.pick(t["verbs"])
        place = self.pick(t["places"])
        text = self.pick(HEADING_STEMS).format(
            np=title(np_), n=title(n), adj=title(self.pick(t["adjectives"])), Vb=title(gerund(vbase)),
            place_t=title(place), Town=self.town)
        return text

    def bullets(self):
        t = self.t
        items = []
        for _ in range(self.rng.randint(3, 5)):
            vbase, _ = self.pick(t["verbs"])
            _, np_ = self.pick(t["nouns"])
            items.append(f"- {vbase.capitalize()} the {np_} at {self.pick(t['places'])} {self.pick(TIMES)}.")
        return "\n".join(items)

    def table(self):
        t = self.t
        rows = ["| Item | Count | Condition |", "| --- | --- | --- |"]
        for _, np_ in self.rng.sample(t["nouns"], 4):
            rows.append(f"| {np_.capitalize()} | {self.rng.randint(2, 60)} | {self.pick(t['adjectives'])} |")
        return "\n".join(rows)


def gerund(verb):
    if verb in ("rig", "split"):
        return verb + verb[-1] + "ing"
    if verb.endswith("e") and not verb.endswith("ee"):
        return verb[:-1] + "ing"
    return verb + "ing"


def title(s):
    small = {"the", "and", "of", "at", "a", "an", "to", "in", "on", "its"}
    words = s.split()
    return " ".join(w if (i and w in small) else w[:1].upper() + w[1:] for i, w in enumerate(words))


def fix_articles(s):
    out = []
    words = s.split(" ")
    for i, w in enumerate(words):
        if w.lower() == "a" and i + 1 < len(words) and words[i + 1][:1].lower() in "aeiou":
            w = "An" if w == "A" else "an"
        out.append(w)
    return " ".join(out)


def document(index, words, seed):
    rng = random.Random(seed * 100_003 + index)
    topic = sorted(TOPICS)[(index - 1) % len(TOPICS)]
    w = Writer(rng, topic)
    parts = [f"# {title(topic)} in {w.town}: Notes, Volume {index}", "",
             f"These notes collect what the {w.t['people'][0]} of {w.town} have learned about {topic} "
             f"over several seasons. They are informal and sometimes repeat themselves, as notes do.", ""]
    count = sum(len(p.split()) for p in parts)
    since_heading = 99
    while count < words:
        if since_heading >= rng.randint(3, 5):
            level = "###" if rng.random() < 0.2 and since_heading < 99 else "##"
            parts += [f"{level} {w.heading()}", ""]
            since_heading = 0
        roll = rng.random()
        block = w.bullets() if roll < 0.08 else w.table() if roll < 0.11 else w.paragraph()
        parts += [block, ""]
        count += len(block.split())
        since_heading += 1
    return "\n".join(parts)


def main():
    ap = argparse.ArgumentParser(description="Generate Markdown documents for the ingestion benchmark.")
    ap.add_argument("out_dir", help="directory to write doc-NNN.md files into (created if missing)")
    ap.add_argument("--count", "-n", type=int, default=20, help="number of documents (default 20)")
    ap.add_argument("--words", type=int, default=2000, help="approximate words per document (default 2000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    total = 0
    for i in range(1, args.count + 1):
        text = document(i, args.words, args.seed)
        with open(os.path.join(args.out_dir, f"doc-{i:03d}.md"), "w", encoding="utf-8") as fh:
            fh.write(text)
        total += len(text.split())
    print(f"wrote {args.count} documents, {total:,} words, to {args.out_dir}")


if __name__ == "__main__":
    main()
