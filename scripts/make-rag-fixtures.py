#!/usr/bin/env python3
"""Generates the document fixtures for Hearth's knowledge/RAG tests.

    python3 -m venv ~/.cache/hearth/fixtures-venv
    ~/.cache/hearth/fixtures-venv/bin/pip install -r scripts/rag-fixtures-requirements.txt
    ~/.cache/hearth/fixtures-venv/bin/python scripts/make-rag-fixtures.py          # write + verify
    ~/.cache/hearth/fixtures-venv/bin/python scripts/make-rag-fixtures.py --verify # verify only

Writes, relative to the repository root:

  tests/fixtures/rag/corpus/   one file per format, each about a different fictional subject with
                               realistic prose and exactly ONE planted fact (invented names, so that
                               keyword and semantic search can both find it), plus manifest.json
                               listing the question, the answer and where in the file it lives.
  tests/fixtures/rag/hostile/  files that extraction must reject cleanly (truncated PDF, a zip bomb
                               DOCX, a 10,000-page PDF, random bytes, 100,000 nested divs), plus
                               README.md describing them.

The output is deterministic for the same library versions (pinned in
scripts/rag-fixtures-requirements.txt): fixed random seeds, reportlab's invariant mode, fixed
document-property dates, and every zip container (docx, pptx, xlsx, epub) rewritten with fixed
entry timestamps and permissions.

guide.html also carries noise that a text extractor should drop: a <nav>, a <script>, a <style>
and a <footer>. Each holds a marker string (see HTML_NOISE_MARKERS) that must not appear in the
extracted text.

After writing, the files are re-opened with readers other than their writers where possible
(pypdf, pdfminer.six and poppler's pdftotext for PDFs; the raw OOXML/EPUB XML through zipfile and
lxml; BeautifulSoup for HTML; the markdown package for Markdown) and each planted fact is checked
to be extractable, unique across the corpus, away from the start of its file, and on the page,
slide, heading, sheet or chapter that the manifest names.
"""

import argparse
import csv
import datetime
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
import zlib
from xml.sax.saxutils import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "fixtures", "rag", "corpus")
HOSTILE = os.path.join(ROOT, "tests", "fixtures", "rag", "hostile")

FIXED_DT = datetime.datetime(2024, 1, 1, 12, 0, 0)
FIXED_ZIP_TIME = (2024, 1, 1, 12, 0, 0)
SEED = 20240101


def paras(text):
    """Splits a block of wrapped text into paragraphs (separated by blank lines)."""
    out = []
    for block in textwrap.dedent(text).strip().split("\n\n"):
        out.append(" ".join(block.split()))
    return out


# ---------------------------------------------------------------------------------------------
# A. Corpus content. Each document is about a different fictional subject; the planted fact of
# each is marked in the FACTS table below and must appear exactly once in the whole corpus.
# ---------------------------------------------------------------------------------------------

FACTS = {
    "manual.pdf": dict(
        format="pdf",
        fact="The lighthouse keeper's cat is named Bartholomew Quince",
        question="What is the name of the cat that lives with the keeper at the lighthouse?",
        answer_contains="Bartholomew Quince",
        page=3,
        heading=None,
    ),
    "report.docx": dict(
        format="docx",
        fact="is known to members as Old Tamsin Wexcombe",
        question="What do the cooperative's members call the oldest tree in the orchard?",
        answer_contains="Tamsin Wexcombe",
        page=None,
        heading="Heritage Trees",
    ),
    "slides.pptx": dict(
        format="pptx",
        fact="The Sunday specials are hauled by our restored tank engine, which carries the name Orsolya Fenwright",
        question="What is the name of the locomotive that pulls the Sunday heritage trains?",
        answer_contains="Orsolya Fenwright",
        page=4,
        heading="Sunday Heritage Specials",
    ),
    "inventory.xlsx": dict(
        format="xlsx",
        fact="Donated in 1931 by Admiral Ignatius Threlkeld-Voss",
        question="Which admiral gave the museum its plaster cast of a dodo skeleton?",
        answer_contains="Ignatius Threlkeld-Voss",
        page=None,
        heading="Donations",
    ),
    "guide.html": dict(
        format="html",
        fact="has been nicknamed Professor Ellisander Mott by the volunteers",
        question="What nickname did the reserve's volunteers give to the barn owl that lives there?",
        answer_contains="Ellisander Mott",
        page=None,
        heading="Birds Through the Seasons",
    ),
    "notes.md": dict(
        format="md",
        fact="The breeder queen in hive nine, marked with a blue dot, has been named Ottoline Quarrendale",
        question="What name was given to the breeder queen kept in hive number nine?",
        answer_contains="Ottoline Quarrendale",
        page=None,
        heading="May: Queen Rearing",
    ),
    "novel.epub": dict(
        format="epub",
        fact="was the maker's signature: Silvanus Pettigrew-Oake, Dunmarrow, 1788",
        question="Who made the old bracket clock that Daniel brought to Agnes's shop?",
        answer_contains="Silvanus Pettigrew-Oake",
        page=None,
        heading="Chapter Two: The Commission",
    ),
    "data.csv": dict(
        format="csv",
        fact="Wilhelmina Sprockett-Dunn ... first prize at the county show",
        question="Which allotment holder grew the marrow that won first prize at the county show?",
        answer_contains="Wilhelmina Sprockett-Dunn",
        page=None,
        heading=None,
    ),
    "config.json": dict(
        format="json",
        fact="Only the night supervisor, Thaddeus Omwire-Lachance, may override the weather interlock",
        question="Who is allowed to override the observatory's weather interlock?",
        answer_contains="Thaddeus Omwire-Lachance",
        page=None,
        heading=None,
    ),
    "readme.txt": dict(
        format="txt",
        fact="is known to everyone at the station as Mrs Pennyfeather Ormsby",
        question="What nickname do the radio station's volunteers use for the old mixing desk in Studio B?",
        answer_contains="Pennyfeather Ormsby",
        page=None,
        heading=None,
    ),
    "script.py": dict(
        format="py",
        fact="calibrated against the Haldorsen-Quigg benchmark",
        question="What is the benchmark that the harbour's tide gauge is calibrated against called?",
        answer_contains="Haldorsen-Quigg",
        page=None,
        heading=None,
    ),
}

# --- manual.pdf: a lighthouse maintenance manual, one list of (heading, paragraphs) per page ---

MANUAL_TITLE = "Skerrow Point Light: Keeper's Maintenance Manual"
MANUAL_SUBTITLE = "Issued by the Northern Coast Lights Trust. Revision 7."
MANUAL_PAGES = [
    [
        ("1. About This Manual", paras("""
            This manual describes the routine care of the light, the fog signal and the station
            buildings at Skerrow Point. It is written for resident keepers and for relief keepers
            who may spend only a fortnight at the station, so it assumes a working knowledge of
            lighthouse equipment but no familiarity with this particular site. Where a procedure
            differs from the general instructions issued by the Trust, the procedure given here
            takes precedence, because it reflects the age and quirks of the equipment actually
            installed on the point.

            Keep this copy in the watch room, on the shelf beside the logbooks. A second copy is
            held in the relief boat's chart locker. If you find an error, or a procedure that no
            longer matches the equipment, note it in the back of the station log and tell the
            district superintendent at the next scheduled call, so that the correction can be made
            in the next revision.
        """)),
        ("2. The Station", paras("""
            Skerrow Point Light stands on a granite headland at the northern end of the bay,
            forty-one metres above mean high water. The tower is round, built of dressed stone in
            1862 and painted white with a single red band below the gallery. The keepers'
            cottages, the engine house and the oil store form a walled compound on the landward
            side, connected to the tower by a covered passage that was added after the great storm
            of 1903 made crossing the open yard dangerous in winter.

            The station is reached by a single-track road from the village, which is often closed
            by drifting snow between December and March. In that season supplies come by the
            relief boat, weather permitting, and the landing stage below the compound must be kept
            clear of weed and loose stones. Fresh water comes from a spring-fed cistern under the
            yard; it should be tested monthly with the kit kept in the engine house, and the result
            entered in the log.

            The light is shown from sunset to sunrise and at any time when visibility falls below
            five nautical miles. Its character is two white flashes every fifteen seconds, visible
            for eighteen nautical miles in clear weather. Mariners rely on that character to
            identify the point, so any fault that changes the timing of the flashes must be treated
            as an emergency rather than a maintenance matter.
        """)),
    ],
    [
        ("3. The Lamp and Optic", paras("""
            The optic is a second-order Fresnel lens of eight panels, floating on a mercury bath
            that lets it turn with very little effort. The original clockwork drive was replaced by
            an electric motor in 1978, but the weight tube and clockwork remain in place as a
            standby and must be wound and tested at the start of each month. The lamp is a
            metal-halide unit mounted on a two-position changer; if the running lamp fails, the
            changer swings the spare into the focal point automatically and an alarm sounds in the
            watch room.

            Clean the lens every morning after the light is extinguished. Use only the soft chamois
            leathers and the spirit kept in the lens cupboard; ordinary cloths leave fibres that
            scatter the beam, and household cleaners etch the glass. Work from the top panel
            downward, and never lean on the brass framing, which is softer than it looks. Once a
            week, inspect the prisms for chips and the putty seals for cracks, and record anything
            unusual with a sketch in the log.

            The mercury bath needs particular care. Check the level weekly against the mark on the
            float chamber, and look for grey scum on the surface, which indicates oxidation. Never
            top up the bath yourself: mercury is stored off site and is handled only by the Trust's
            engineers during the annual inspection. If the lens begins to turn unevenly, or stops,
            switch to the standby drive, reduce the load by closing the lantern vents, and report
            the fault by radio at once.

            Curtains are drawn around the lantern during daylight to stop the lens from focusing
            sunlight onto the lamp and the internal fittings. They must be drawn as soon as the
            lens has been cleaned, and opened again no earlier than half an hour before sunset. A
            forgotten curtain has scorched the lamp holder twice in the station's history.
        """)),
    ],
    [
        ("4. Daily and Weekly Routine", paras("""
            The keeper's day is organised around the light. The first task after sunrise is to
            extinguish the lamp, note the time and the lamp hours in the log, and clean the lens.
            After breakfast the keeper walks the compound, checking the engine house, the oil
            store, the fog signal and the boundary walls, and then reads the weather instruments at
            nine o'clock, sending the observation to the coastguard by radio.

            Afternoons are for maintenance. Brasswork in the lantern is polished on Mondays, the
            engine house floor is scrubbed on Wednesdays, and the standby generator is run under
            load for thirty minutes every Friday. Paintwork on the gallery railings is touched up
            whenever the weather allows, because salt spray will lift neglected paint within a
            single winter. Keep a list of small jobs pinned inside the watch room door and work
            through it steadily; a station that is tidied daily never needs a frantic clean before
            an inspection.

            Not all of the station's residents are on the Trust's books. Mice come in with the coal
            and the feed sacks, and a cat has been kept at the point for as long as anyone can
            remember to deal with them. The lighthouse keeper's cat is named Bartholomew Quince,
            and relief keepers are asked to feed him from the tin in the store room and to keep him
            out of the lantern, where he likes to sleep in the warmth of the lamp.

            Weekly tasks are listed on the board in the watch room. They include winding and
            testing the standby clockwork, checking the mercury level, testing the emergency lights
            in the tower stairwell, and inspecting the lightning conductor where it enters the
            ground. On Sundays the keeper writes the weekly summary in the log: lamp hours, fuel
            used, weather, visitors and any faults. The summary is read by the superintendent at
            every inspection, so write it in full sentences that a stranger could follow.
        """)),
    ],
    [
        ("5. Fog Signal and Radio Beacon", paras("""
            The fog signal is a pair of diaphone horns driven by compressed air from two diesel
            compressors in the engine house. Its character is one blast of three seconds every
            thirty seconds. Start the signal whenever visibility falls below two nautical miles,
            judged by the marker buoy off the southern rocks: if you cannot see the buoy from the
            watch room window, start the signal.

            Before starting, check that both air receivers are drained of water, that the
            compressor oil is between the marks, and that the horn trumpets on the gallery are
            clear of nests. Start the duty compressor first and bring the receiver up to working
            pressure before opening the valve to the timing machine. The standby compressor is
            started only if the duty unit fails or pressure falls below the red line on the gauge.
            Log the time the signal started and stopped, together with the visibility that
            prompted it.

            The radio beacon transmits the station's identification in Morse every six minutes
            from the equipment rack in the watch room. It needs little attention beyond a daily
            check that the monitor speaker is sounding the correct letters and that the battery
            charger shows a float voltage. If the beacon falls silent, reset it once using the
            switch marked RESET on the front panel; if it does not recover, report the failure and
            do not attempt repairs inside the rack, which carries high voltages.

            Noise is part of the job. Keepers on long fog watches should wear the ear defenders
            hanging in the engine house and should take turns with the relief keeper, so that
            nobody spends more than four hours at a stretch beside the running compressors.
        """)),
    ],
    [
        ("6. Storms, Emergencies and the Log", paras("""
            In a storm the priority is to keep the light and the fog signal working; everything
            else can wait. Close the lantern vents on the windward side, secure the gallery door,
            and check the lantern glazing every hour for cracks. If a pane breaks, fit the storm
            shutter from the tower store over the opening and continue showing the light through
            the remaining panes. Never go onto the gallery in winds above gale force unless you are
            clipped to the safety rail.

            A failure of the mains supply is handled by the standby generator, which starts
            automatically within twenty seconds. Confirm that it has started, then check that the
            lamp changer has not switched lamps in the confusion. If both the mains and the
            generator fail, light the emergency paraffin lamp from the lantern cupboard and hang it
            in the gimbal bracket; it is dim, but it keeps the point marked until power is
            restored.

            Injuries and illness must be reported to the coastguard immediately. The first aid
            cupboard in the cottage kitchen is stocked for a week's isolation, and a stretcher
            hangs in the covered passage. When the road is closed, evacuation is by lifeboat or
            helicopter, and the landing area at the north end of the compound must be kept clear of
            loose objects.

            Finally, the log. Every event at the station, however minor, belongs in the log: the
            lighting and extinguishing times, the weather, every fault and every visitor. Write in
            ink, never remove pages, and correct mistakes by striking through with a single line so
            the original remains legible. The log is a legal record, and in more than one inquiry
            it has been the only reliable account of what happened at the point on a stormy night.
        """)),
    ],
]

# --- report.docx: an orchard cooperative's annual report; ("h1"|"h2"|"p"|"table", content) ---

REPORT_TITLE = "Hollowmere Orchard Cooperative"
REPORT_SUBTITLE = "Annual Report for 2023, presented to members at the general meeting"
REPORT_BLOCKS = [
    ("h1", "Summary of the Year"),
    *[("p", p) for p in paras("""
        2023 was the cooperative's eleventh season and, by most measures, its best. We picked more
        fruit than in any previous year, pressed more juice, and for the first time finished the
        year with enough money in reserve to replace the old belt press without a loan. A wet
        spring delayed blossom by almost two weeks and a dry August worried us all, but a mild
        September rescued the late varieties and the harvest festival drew the largest crowd we
        have ever had.

        None of this would have been possible without the members who turned up on cold Saturday
        mornings to prune, mulch and mend fences. This report sets out what we did, what it cost,
        and what we plan for next year. Figures are for the financial year ending 31 December 2023
        and have been checked by our honorary auditor.
    """)],
    ("h2", "Membership and Volunteers"),
    *[("p", p) for p in paras("""
        Membership rose from 164 households to 187 over the year. Most new members joined after the
        spring open day or the harvest festival, and a noticeable number came from the new houses
        on the far side of the river. Subscriptions were kept at the same level as last year, with
        the reduced rate for students and pensioners unchanged.

        Volunteer hours are harder to count, but the sign-in book records 2,310 hours of work in
        the orchard, up from 1,870 in 2022. Work parties were held every second Saturday from
        January to November, with extra sessions during pruning and picking. We are especially
        grateful to the local scout troop, who cleared the bramble thicket along the eastern hedge
        over three weekends in October.
    """)],
    ("h2", "Finances"),
    *[("p", p) for p in paras("""
        Income for the year was 18,460 pounds, of which subscriptions contributed 6,120, juice and
        cider sales 9,870, and the harvest festival 2,470. Expenditure was 13,915 pounds, the
        largest items being the insurance premium, bottles and caps, replacement trees and the hire
        of the mobile pasteuriser in October. The surplus of 4,545 pounds has been added to the
        equipment reserve, which now stands at 11,200 pounds.

        The committee has set aside 7,500 pounds from the reserve for a new hydraulic press, which
        should roughly double our pressing capacity and reduce the number of late nights during
        the harvest. The remaining reserve will cover a year of insurance and running costs should
        a poor harvest ever leave us short.
    """)],
    ("h1", "Orchard Operations"),
    ("p", "The orchard now holds 412 trees on just under four hectares, divided between the old "
          "walled orchard, the river meadow planted in 2015 and the small nursery beds by the "
          "barn. The table below shows how the trees are distributed."),
    ("table", [
        ["Area", "Trees", "Main varieties"],
        ["Walled orchard", "96", "Bramley, Blenheim Orange, perry pears"],
        ["River meadow", "278", "Cox, Egremont Russet, Discovery, Katy"],
        ["Nursery beds", "38", "Grafted heritage stock for planting out"],
    ]),
    ("h2", "Pruning and Tree Health"),
    *[("p", p) for p in paras("""
        Winter pruning was completed by the end of February, helped by a dry spell in the second
        half of the month. We continued the policy of light, regular pruning on the river meadow
        trees and restorative pruning on the older trees in the walled orchard, removing no more
        than a quarter of the canopy from any tree in a single year.

        Canker remained our main disease problem, particularly on the Cox trees in the wetter
        corner of the meadow. Affected wood was cut out and burned, and we improved drainage along
        the bottom hedge. Codling moth numbers, measured with pheromone traps, were lower than last
        year, and we did not need to use any sprays at all. Three trees were lost to honey fungus
        and have been removed along with as much root as we could dig out.
    """)],
    ("h2", "Heritage Trees"),
    *[("p", p) for p in paras("""
        The walled orchard contains the oldest trees on the site, many of them planted when the
        land belonged to the manor farm. Several are varieties that are now rare in the county,
        and we have been working with the regional fruit group to identify them and take grafting
        wood before the old trees fail. This spring we grafted forty-two new trees from eleven
        heritage varieties, all of which are growing well in the nursery beds.

        The cooperative's oldest tree, a perry pear planted in 1894 beside the north gate, is known
        to members as Old Tamsin Wexcombe. It still carries a heavy crop in good years, although
        two of its main limbs are now propped, and the fruit group believes it may be the last
        surviving example of its variety in the valley.

        Looking after these trees is slow work. Old trees respond badly to heavy pruning, so we
        take a little each year and feed them with well-rotted manure from the neighbouring farm.
        We have also started a simple register recording the position, age, variety and condition
        of every tree in the walled orchard, which we hope will help future members understand
        what they have inherited.
    """)],
    ("h2", "Harvest and Pressing"),
    *[("p", p) for p in paras("""
        Picking began with the early Discovery apples in the third week of August and ended with
        the perry pears in late October. In total we picked a little over 14 tonnes of fruit,
        compared with 11 tonnes in 2022. About two thirds went to the press, a fifth was sold as
        eating apples at the farm gate and the festival, and the rest went to members, the food
        bank and the village school.

        The press ran on nineteen evenings and four full Saturdays, producing 6,300 litres of juice
        and 1,900 litres of cider. Pasteurisation was again done with a hired machine, which worked
        well but had to be returned before the last of the pears were pressed. The new press and a
        pasteuriser of our own are the two changes most likely to make next year's harvest less
        exhausting.
    """)],
    ("h1", "Looking Ahead"),
    ("h2", "Plans for 2024"),
    *[("p", p) for p in paras("""
        Next year the committee proposes to buy the new press, replant the gaps left by honey
        fungus, and extend the hedge along the river meadow to give the young trees more shelter
        from the west wind. We would also like to run a series of grafting and pruning workshops
        for members, so that the skills needed to look after the orchard are shared more widely
        than among the handful of people who currently do most of the skilled work.

        We will ask the general meeting to approve a small increase in subscriptions from April to
        cover rising insurance costs. This would be the first increase in four years, and the
        committee believes members will agree that it is fair. As always, any member who wishes to
        raise an issue is welcome at committee meetings, which are held on the first Tuesday of
        each month in the barn.
    """)],
]

# --- slides.pptx: a railway's timetable briefing; (title, bullets, speaker notes) per slide ---

SLIDES_TITLE = "Winter Timetable Briefing"
SLIDES_SUBTITLE = "Brackenfold Valley Railway\nStaff briefing for the timetable change on 8 December"
SLIDES_TITLE_NOTES = (
    "Welcome, everyone. This briefing covers the winter timetable that starts on 8 December: the "
    "reasons for the change, the new weekday pattern, the Sunday heritage specials, staffing and "
    "ticketing, and the engineering work planned for January. Please hold questions until the "
    "end; there is time set aside for them."
)
SLIDES = [
    ("Why the Timetable Is Changing", [
        "Passenger counts show that weekday demand has moved later in the morning since the new "
        "business park opened at Lowerby.",
        "The old timetable ran three trains before eight o'clock that were often less than a "
        "quarter full.",
        "Evening trains from Brackenfold were overcrowded, especially on Thursdays and Fridays.",
        "The county council has agreed to fund one additional evening round trip for a trial "
        "period of twelve months.",
        "Track work at Hessle Bank in January needs a temporary change to the crossing points on "
        "the single line.",
    ], "The passenger counts were taken over six weeks in September and October, on every train, "
       "by conductors using the handheld counters. The council funding is for a trial, so we need "
       "the evening figures to be good if we want to keep the extra train. Early trains that are "
       "being withdrawn will be replaced by a bus for the two school journeys, which the council "
       "has asked us to protect."),
    ("The New Weekday Service Pattern", [
        "First departure from Brackenfold moves from 05:48 to 06:20; the last departure from the "
        "coast moves from 21:40 to 22:25.",
        "Trains run every forty minutes between 07:00 and 19:00, and the two extra peak trains "
        "are kept.",
        "All trains now call at Millbeck Halt, which was previously a request stop.",
        "Trains cross at Ashby Loop instead of Hessle Bank, so drivers must check their diagrams "
        "carefully in the first week.",
        "Connections with the main line at Brackenfold are protected for up to five minutes.",
    ], "The biggest change for drivers is the crossing point. Signallers at Ashby Loop have been "
       "briefed separately, and the new working instructions are in the mess room folder. The "
       "forty-minute pattern means each unit now does one more round trip per day, so the depot "
       "has moved the fuelling slot to the middle of the afternoon. Conductors should note that "
       "the Millbeck call adds two minutes to every journey."),
    ("Sunday Heritage Specials", [
        "From the first Sunday in December until the end of February, two heritage trains run "
        "alongside the normal Sunday service.",
        "Departures from Brackenfold at 10:15 and 13:45, returning from Saltcombe Quay at 12:00 "
        "and 15:30.",
        "The Sunday specials are hauled by our restored tank engine, which carries the name "
        "Orsolya Fenwright.",
        "The carriages are the three restored coaches from the museum siding; the buffet car will "
        "not be available.",
        "Heritage tickets are sold only at Brackenfold and online, and standard season tickets "
        "are not valid on these trains.",
        "Platform staff at Saltcombe Quay should expect large groups and pushchairs on the 15:30 "
        "return.",
    ], "The heritage trains are run jointly with the preservation society, whose volunteers crew "
       "the engine. Our staff are responsible for the platforms and for tickets, as usual. The "
       "specials take water at Ashby Loop on the way out, so the normal service crosses them there "
       "and drivers should expect a short wait. Please point photographers to the end of the "
       "platform and keep them off the track side of the fence."),
    ("Station Staffing and Ticketing", [
        "Booking offices at Brackenfold and Saltcombe Quay open thirty minutes before the first "
        "train.",
        "Millbeck Halt remains unstaffed; conductors sell tickets on board and should check "
        "passengers joining there.",
        "New handheld ticket machines go live on 8 December; training sessions run in the mess "
        "room every Tuesday.",
        "Contactless payment is accepted on board on all services, including the heritage trains.",
        "Lost property is now logged centrally at Brackenfold rather than held at each station.",
    ], "If you have not yet booked a training session for the new ticket machines, please see the "
       "roster clerk this week. The old machines will be collected on the evening of 7 December."),
    ("Engineering Works and Replacement Buses", [
        "Hessle Bank will be closed for track renewal from 6 to 19 January.",
        "During the closure, trains run between Brackenfold and Ashby Loop only, with buses onward "
        "to the coast.",
        "Replacement buses leave from the station forecourt, not the high street stop; signs will "
        "go up the week before.",
        "Bicycles cannot be carried on replacement buses, so please warn passengers when they buy "
        "tickets.",
        "The works timetable is printed in yellow so that it can be told apart from the normal "
        "winter timetable.",
    ], "The bus company has promised the same coaches as last year, which have space for luggage "
       "but not for bicycles. Please be patient with passengers in the first few days."),
    ("Winter Weather Arrangements", [
        "When snow is forecast, the first train of the day runs empty as a route-proving run with "
        "a snowplough fitted.",
        "Station staff clear and grit platform ends, ramps and footbridges before the first "
        "passenger train calls.",
        "If the line above Millbeck is blocked, trains turn back at Millbeck Halt and the control "
        "office arranges taxis for passengers.",
        "Heaters in the waiting shelters are switched on from 1 December and checked daily by the "
        "station staff.",
        "Every cab carries a winter kit of blankets, a shovel, a flask and a spare radio battery.",
    ], "Last winter we lost eleven days to snow above Millbeck. The route-proving run means that "
       "the first booked passenger train is the second train over the line, and it has already "
       "cut the number of trains stuck between stations. Please make sure the winter kits in your "
       "cabs are complete before the end of November, and tell the depot if anything is missing."),
    ("Assisting Passengers", [
        "Passengers who book assistance in advance are listed on the daily sheet at each staffed "
        "station.",
        "Conductors carry the portable ramp on every train and deploy it at Millbeck Halt, where "
        "there are no staff.",
        "Wheelchair spaces are in the middle coach of each unit and must be kept free of luggage "
        "and bicycles.",
        "Passengers who turn up without booking should still be helped wherever possible.",
        "Report any fault with lifts, ramps or hearing loops to the control office straight away.",
    ], "Assistance requests have doubled since the booking line was advertised in the summer, which "
       "is good news. The daily sheet is printed at six each morning; if a booking arrives later "
       "than that, the control office will radio the details to the conductor of the train "
       "concerned."),
    ("Questions and Next Steps", [
        "Printed copies of the winter timetable arrive at stations on 1 December.",
        "Updated driver and conductor diagrams will be issued by the roster clerk on 4 December.",
        "Please report any errors in the printed timetable to the operations office straight "
        "away.",
        "Feedback from passengers during the first month will be reviewed at the February staff "
        "meeting.",
        "Thank you for your help in making the change run smoothly.",
    ], "Open the floor for questions. Anything that cannot be answered today will be written up "
       "and circulated with the minutes of this briefing."),
]

# --- inventory.xlsx: a museum's stores inventory, two sheets ---

INVENTORY_SHEET1 = "Specimens"
INVENTORY_SHEET1_ROWS = [
    ["Accession", "Item", "Location", "Quantity", "Condition", "Note"],
    ["TQ.1894.012", "Herring gull (mounted)", "Gallery 2, case 4", 1, "Good", "Feathers dusted in spring; label rewritten in 2019."],
    ["TQ.1894.031", "Common seal skull", "Store A, drawer 12", 1, "Good", "Lower jaw stored separately in the same drawer."],
    ["TQ.1901.007", "Ammonite collection", "Gallery 1, case 9", 24, "Fair", "Three specimens cracked during the 1998 move; repaired with conservation adhesive."],
    ["TQ.1901.044", "Fossil fern slabs", "Store B, rack 3", 6, "Good", "Heavy; two people are needed to lift the largest slab."],
    ["TQ.1905.102", "Beetle drawers (local collection)", "Entomology room, cabinet E2", 18, "Good", "Checked for pest damage every quarter; no activity found this year."],
    ["TQ.1912.015", "Otter (mounted)", "Gallery 2, case 1", 1, "Poor", "Fur fading on the side facing the window; case to be moved out of direct light."],
    ["TQ.1912.090", "Birds' eggs collection", "Store A, cabinet 7", 412, "Fair", "Historic collection, not for display. Some data cards are missing."],
    ["TQ.1920.003", "Basking shark jaw", "Gallery 3, wall mount", 1, "Good", "Mounting bracket checked and tightened in March."],
    ["TQ.1923.058", "Pressed seaweeds (album)", "Library store, shelf L4", 3, "Fair", "Pages brittle; handle with a support and gloves."],
    ["TQ.1927.011", "Red deer antlers", "Gallery 3, wall mount", 2, "Good", "Donor label on the reverse of the mounting board."],
    ["TQ.1930.076", "Mineral samples (county survey)", "Store B, drawers 1 to 20", 318, "Good", "Catalogued against the 1930 survey notebook."],
    ["TQ.1934.022", "Badger (mounted)", "Education room, shelf 2", 1, "Fair", "Used in handling sessions; ear tips worn."],
    ["TQ.1936.140", "Butterfly display frames", "Gallery 2, case 6", 9, "Fair", "Colours faded; frames are rotated off display every two years."],
    ["TQ.1948.005", "Whale vertebra", "Gallery 3, plinth", 1, "Good", "Visitors may touch it; cleaned monthly."],
    ["TQ.1951.033", "Microscope slides (diatoms)", "Store A, cabinet 3", 1260, "Good", "Slides stored flat; index cards in box 1."],
    ["TQ.1955.017", "Kestrel (mounted)", "Education room, shelf 1", 1, "Good", "Popular with school groups."],
    ["TQ.1962.088", "Flint tools (beach finds)", "Gallery 1, case 2", 37, "Good", "On loan to the county archaeology unit until 2026."],
    ["TQ.1967.004", "Herbarium sheets (coastal plants)", "Library store, boxes H1 to H14", 2100, "Good", "The digitisation project has reached box H6."],
    ["TQ.1971.061", "Crab and lobster specimens (spirit)", "Spirit store, shelf S2", 45, "Fair", "Spirit levels topped up in January; two jars need new seals."],
    ["TQ.1975.019", "Fox (mounted)", "Gallery 2, case 3", 1, "Good", "Part of the hedgerow diorama."],
    ["TQ.1980.112", "Sea urchin tests", "Store A, drawer 30", 64, "Good", "Fragile; packed in acid-free tissue."],
    ["TQ.1984.027", "Meteorite fragment", "Gallery 1, case 11", 1, "Good", "Security case; the key is held at the front desk."],
    ["TQ.1988.040", "Bird skins (study collection)", "Store A, cabinets 8 to 10", 530, "Good", "Available to researchers by appointment."],
    ["TQ.1993.009", "Amber with insects", "Gallery 1, case 10", 7, "Good", "Display lighting changed to LED to reduce heat."],
    ["TQ.1999.071", "Cormorant (mounted)", "Gallery 2, case 5", 1, "Fair", "Neck repaired in 2010; avoid moving."],
    ["TQ.2004.016", "Dinosaur footprint cast", "Gallery 1, floor display", 1, "Good", "Replica; the original remains on the foreshore at Kelham Bay."],
    ["TQ.2011.053", "Pollen reference slides", "Store A, cabinet 4", 880, "Good", "Used by the university palynology group."],
    ["TQ.2016.002", "Hedgehog skeleton", "Education room, shelf 3", 1, "Good", "Articulated; a new display box was made in 2021."],
    ["TQ.2020.030", "Plastic pollution display", "Gallery 3, case 2", 1, "Good", "Beach litter collected by volunteers during the 2020 survey."],
    ["TQ.2023.011", "Moth trap samples", "Entomology room, cabinet E5", 240, "Good", "Awaiting identification by the volunteer group."],
]
INVENTORY_SHEET2 = "Donations"
INVENTORY_SHEET2_ROWS = [
    ["Item", "Location", "Note"],
    ["Victorian fern case", "Gallery 1, entrance", "Given by the Wardle family in 1953; the glass was replaced in 1987."],
    ["Naturalist's field notebooks", "Library store, shelf L1", "Twelve volumes of observations made around Thornquay between 1880 and 1912."],
    ["Brass microscope", "Gallery 1, case 1", "Donated by the grammar school science department when the old laboratory closed."],
    ["Shell collection in a mahogany cabinet", "Gallery 2, alcove", "Bequeathed in 1968; the cabinet drawers stick in damp weather."],
    ["Geological hammer and chisels", "Education room, drawer 4", "Belonged to a founder member of the field club; used in handling sessions."],
    ["Painted bird illustrations", "Library store, plan chest 2", "Watercolours of local birds, shown in rotation in the upstairs corridor."],
    ["Walrus tusk", "Store B, secure cabinet", "Accepted in 1922; the export documents are kept in the registry file."],
    ["Coral specimens", "Store A, drawer 41", "Historic donation, not to be added to; reviewed under the current collecting policy."],
    ["Lantern slides of coastal scenery", "Library store, box LS3", "Donated together with a working projector in 1976."],
    ["Pike in a bow-fronted case", "Gallery 2, case 8", "Caught in the mill pond in 1909, according to the label."],
    ["Glass models of sea anemones", "Gallery 3, case 7", "Very fragile; do not move without the conservator."],
    ["Plaster cast of a dodo skeleton", "Basement bay 14, shelf C", "Donated in 1931 by Admiral Ignatius Threlkeld-Voss."],
    ["Seed collection from the physic garden", "Library store, cabinet 6", "Packets dated 1890 to 1935; some were still viable in the 2015 trial."],
    ["Taxidermy tools", "Store B, shelf 9", "Given by the last commercial taxidermist in the town when his shop closed."],
    ["Collection of bird nests", "Store A, cabinets 11 and 12", "Collected before modern protection laws; kept for research only."],
    ["Ultraviolet mineral lamp", "Gallery 1, case 11", "Shows fluorescent minerals; demonstrated on open days."],
    ["Parish weather diary", "Library store, shelf L2", "Daily readings from the rectory garden, 1871 to 1930."],
    ["Whale barnacles", "Store A, drawer 44", "Collected from a whale stranded on the north beach in 1952."],
    ["Fossil fish from the quarry", "Gallery 1, case 5", "Given by the quarry company together with the original site plans."],
    ["Children's nature table items", "Education room, box 7", "Donated by the primary school; used in early years sessions."],
]

# --- guide.html: a nature reserve visitor guide ---

HTML_NOISE_MARKERS = ["caddonTrackVisit", "noise-style-rule", "Donate today and adopt a reed bed", "Registered charity number 1184467"]
GUIDE_TITLE = "Caddon Marsh Nature Reserve: Visitor Guide"
GUIDE_INTRO = paras("""
    Caddon Marsh is a hundred and sixty hectares of reed bed, wet grassland and open water on the
    edge of the estuary, managed by the county wildlife trust since 1987. This guide explains how to
    reach the reserve, which trails and hides to use at different times of the year, what birds you
    are likely to see, and the few rules we ask every visitor to follow.
""")
GUIDE_SECTIONS = [
    ("Getting Here", paras("""
        The reserve entrance is on Sluice Lane, two kilometres south of Caddon village. The car
        park is open from dawn to dusk and is free for trust members; other visitors pay at the
        machine by the gate, which takes coins and cards. Spaces fill quickly on fine weekends in
        spring, and parking on the verges of Sluice Lane is not allowed, because farm machinery
        needs the full width of the road.

        The number 41 bus from the town centre stops at Caddon church every hour, and the walk from
        there to the entrance takes about twenty-five minutes along the flood bank. Cyclists can
        use the national cycle route, which passes the reserve gate; there are bicycle stands
        beside the visitor centre.
    """)),
    ("Trails and Hides", paras("""
        Three waymarked trails start from the visitor centre. The Reed Bed Loop is a level,
        surfaced path of one and a half kilometres, suitable for wheelchairs and pushchairs, which
        passes two hides overlooking the main lagoon. The Estuary Trail continues along the sea
        wall for a further three kilometres to the shingle spit, and the Woodland Walk crosses the
        old railway embankment through a belt of alder and willow.

        The reserve has six hides. The Lagoon Hide and the Heron Hide on the Reed Bed Loop are the
        most popular, and both have level access and low viewing windows. The Spit Hide at the end
        of the Estuary Trail is the best place to watch waders at high tide, but it is exposed and
        can be cold, so bring extra layers in winter. Please close the viewing flaps when you leave
        a hide, as open flaps let the wind and rain in.

        Parts of the Estuary Trail flood during the highest spring tides. Tide times are posted at
        the visitor centre each morning, and you should not set out for the spit within two hours
        of a high tide above six metres.
    """)),
    ("Birds Through the Seasons", paras("""
        Spring brings the first migrants back from Africa. Sedge and reed warblers sing from the
        reed beds from mid-April, marsh harriers display over the lagoon, and avocets return to
        nest on the islands in front of the Lagoon Hide. Early mornings in May are the best time to
        hear a bittern booming, although seeing one takes patience and a good deal of luck.

        Summer is quieter for birds but busy with young. Common terns fish in the lagoon and carry
        food back to the raft colony, and the wet grassland is home to lapwing and redshank chicks.
        From late July the first returning waders appear on the estuary: green sandpipers,
        greenshank and the occasional spotted redshank in its dark breeding plumage.

        Autumn and winter are the busiest seasons for birds. Thousands of wigeon and teal graze the
        flooded grassland, brent geese arrive from Siberia in October, and large flocks of golden
        plover gather on the fields behind the sea wall. Short-eared owls hunt over the rough
        ground on winter afternoons. The reserve's resident barn owl, which hunts over the meadow
        by the car park at dusk, has been nicknamed Professor Ellisander Mott by the volunteers.

        Sightings are recorded in the book at the visitor centre and on the board outside. Please
        add anything interesting you see, including common birds, as the records help the wardens
        follow how the reserve is changing.
    """)),
    ("Rules for Visitors", paras("""
        Keep to the waymarked paths and do not enter the reed beds or the fenced nesting areas.
        Dogs are welcome on the Estuary Trail on short leads but are not allowed on the Reed Bed
        Loop or in the hides, apart from assistance dogs. Drones may not be flown over the reserve
        at any time, because they disturb nesting and roosting birds.

        Please take all litter home with you, and do not feed the wildfowl: bread is bad for them,
        and feeding draws rats to the paths. Photographers are welcome, but please do not play
        recordings of bird song or approach nests to get a picture.
    """)),
    ("Facilities and Accessibility", paras("""
        The visitor centre is open from nine until five every day except Christmas Day. It has
        toilets, including an accessible toilet with baby changing facilities, a small shop selling
        field guides and bird food, and a cafe serving hot drinks, soup and cakes. Binoculars can
        be borrowed free of charge from the reception desk in exchange for a car key or another
        item left as a deposit.

        A mobility scooter is available to borrow for the Reed Bed Loop; it must be booked at least
        a day in advance by telephone. Large-print and audio versions of this guide are available
        from reception, and the wardens lead a guided walk every Saturday morning at ten, starting
        from the visitor centre door.
    """)),
]

# --- notes.md: a beekeeping association's apiary notes (written out literally) ---

NOTES_MD = """\
# Fernhollow Beekeepers' Association: Apiary Notes 2024

These are the shared notes for the association's teaching apiary at Fernhollow Farm, kept by
whoever leads the inspection each week and tidied up at the end of the season. They are meant to
help new members see how a year in the apiary actually unfolds, mistakes included. The apiary had
twelve colonies at the start of the year, numbered one to twelve from the gate end of the row.

## March: First Inspections

The first full inspection was on 23 March, a still afternoon at fourteen degrees. Ten of the twelve
colonies came through the winter. Hive four was dead with plenty of stores left, which points to a
failing queen in the autumn rather than starvation, and hive eleven had dwindled to a handful of
bees and was united with hive ten.

Most colonies had brood on three or four frames and were bringing in willow and gorse pollen. We
replaced the floors on every hive with clean ones from the store, scorched the old floors with a
blowtorch, and marked the frames with the oldest, darkest comb for replacement later in the spring.

- Colonies alive: 10 of 12
- Hive 4: dead out, comb frozen for reuse
- Hive 11: united with hive 10

## April: Swarm Season

Colonies built up fast in the warm spell in mid-April, and by the 20th we were finding charged
queen cells in three hives. We made artificial swarms of hives two and seven, moving the old queen
to a new box on the original site and leaving the queen cells in the parent colony. Hive five
swarmed before we could act; the swarm settled in the hawthorn by the gate and was taken in a skep
by two of our newer members, who did very well for a first attempt.

**Lesson for next year:** start weekly inspections in early April, not at the end of the month,
and have spare equipment assembled *before* it is needed rather than on the day.

## May: Queen Rearing

This year we tried raising queens from our own best colony rather than buying them in. We chose
the colony in hive nine for its calm temperament, its good honey yield last year and its almost
complete absence of chalkbrood, and used it as the source of larvae for grafting. The breeder
queen in hive nine, marked with a blue dot, has been named Ottoline Quarrendale.

Grafting was done on 14 May using a cell bar frame in a queenless starter colony. Of thirty grafts,
nineteen were accepted, and fourteen virgin queens emerged in the mating nucs set up along the
hedge. By mid-June eleven were mated and laying, which is a good result for a first attempt and
gives us spare queens to offer to members whose colonies fail.

The main difficulty was timing. Grafting needs larvae less than a day old, and finding them by
torchlight in a cold shed is harder than the books suggest. A magnifying headband has been added
to the equipment list.

## July: Honey Harvest

The summer crop was taken off in the last week of July, after the lime and the bramble had
finished. Supers were cleared with clearer boards over two days and extracted in the farm kitchen,
which the farmer kindly lends us each year.

| Hive | Supers taken | Honey (kg) |
| ---- | ------------ | ---------- |
| 1    | 2            | 18         |
| 2    | 1            | 9          |
| 3    | 3            | 27         |
| 6    | 2            | 21         |
| 8    | 2            | 16         |
| 9    | 3            | 31         |
| 10   | 2            | 19         |
| 12   | 1            | 8          |

The total of 149 kilograms is the best for several years. The honey was left to settle for a week,
jarred, and sold at the village show and the farm shop, with every jar labelled by hive so that
buyers can compare the flavours from different parts of the apiary.

## September: Varroa Treatment

Mite counts on the sticky boards in late August averaged eight mites a day, high enough to need
treatment. All colonies were treated with thymol after the honey was removed, and counts checked
three weeks later had fallen to under one a day in every hive.

We also started a trial of drone brood removal in hives one and three, cutting out capped drone
comb every three weeks in spring. The early results are promising, and the trial will be extended
to more hives next year so that we can rely less on chemical treatments.

## November: Winter Preparation

By November all colonies had been fed with thick syrup to bring them up to winter weight, judged
by hefting the back of each hive. Mouse guards were fitted in October, the hives were strapped down
against the winter gales, and the woodpecker netting went back on the hives nearest the wood.

Eleven colonies are going into the winter, including three headed by our own queens. The committee
thanks everyone who took a turn leading inspections this year, and reminds members that the
equipment store needs clearing out before the spring. See the
[association website](https://example.org/fernhollow) for the winter meeting programme.

```text
Winter checklist
- Heft hives monthly
- Clear dead bees from entrances after cold spells
- Oxalic acid treatment in late December
```
"""

# --- novel.epub: a short novel in three chapters ---

NOVEL_TITLE = "The Clockmaker of Dunmarrow"
NOVEL_AUTHOR = "Hearth Test Fixtures"
NOVEL_CHAPTERS = [
    ("Chapter One: The Shop on Vennel Street", paras("""
        Agnes Lorimer opened the shutters of her shop on Vennel Street at half past seven every
        morning, whatever the weather, because her father had done the same for forty years before
        her and because the clocks inside seemed to prefer it. There were sixty-three of them that
        winter, hanging on the walls, standing on the floor and crowded along the shelves behind
        the counter, and every one of them was wrong in its own particular way.

        Some ran fast and some ran slow. A tall case clock by the door gained four minutes a day
        with the steadiness of a bad habit, and a French carriage clock in the window stopped
        whenever a cart went past on the cobbles. Agnes knew each of their faults the way a doctor
        knows her patients, and she liked them better for it. A clock that kept perfect time, her
        father used to say, had nothing left to tell you.

        The town of Dunmarrow did not need sixty-three clocks repaired, and most weeks Agnes did
        more selling of spectacle screws and watch straps than real work. The mill had its own
        engineer, the church clock was wound by the sexton, and the well-off families on the hill
        sent their carriage clocks to the city, where the shops had gold lettering on the windows.
        What came to Vennel Street were the clocks nobody else wanted to touch: the ones with
        missing parts, rusted springs and histories.

        She did not mind. She worked at the bench under the window with her loupe screwed into one
        eye and a cup of tea going cold at her elbow, and in the afternoons, when the light failed
        early, she lit the paraffin lamp and worked on. Her neighbour, the baker Tom Ruddock, said
        that you could set your watch by the moment her lamp went on, and then laughed, because of
        course you could not: nothing on Vennel Street ran on time.

        On the last Monday of November, just as she was lighting the lamp, the bell over the door
        rang and a young man came in out of the rain carrying a wooden box the size of a small
        trunk. He set it on the counter with great care, took off his cap, and said that his
        grandmother had sent him, and that she would very much like to know whether Miss Lorimer
        could make a dead clock speak again.
    """)),
    ("Chapter Two: The Commission", paras("""
        The box held a bracket clock in an ebonised case, its brass handle tarnished almost black
        and its dial so dirty that the numerals could barely be read. The young man, who said his
        name was Daniel Fairlie, explained that it had belonged to his grandmother's family for as
        long as anyone could remember, and that it had not struck the hours since the winter his
        grandfather died.

        Agnes lifted the clock out of its box and turned it round on the counter. The back door of
        the case was stiff, and when it opened it let out a smell of old oil and dust and something
        like cloves. Inside, the movement was complete, which surprised her; clocks that had stood
        silent for twenty years were usually missing something, pillaged for parts by a hopeful
        nephew or a travelling tinker. This one had simply stopped.

        She took the movement out of the case that evening after Daniel had gone, laying each screw
        in order on a sheet of white paper. The mainspring was sound, the pivots were worn but not
        ruined, and the strike train had jammed because a single tooth on the count wheel had bent.
        It was the kind of fault that would take an afternoon to mend and a week to understand.
        Then, holding the backplate up to the lamp, she saw the engraving.

        Scratched into the brass of the backplate, in a careful, looping hand, was the maker's
        signature: Silvanus Pettigrew-Oake, Dunmarrow, 1788. Agnes sat back on her stool. She had
        read the name before, in her father's ledgers, in a list of the town's clockmakers that
        went back to the days when Vennel Street was full of them, but she had never seen a piece
        of his work, and her father had told her that none survived.

        The next morning Daniel came back, and she told him what she had found. He did not seem
        surprised. His grandmother, he said, had always claimed that the clock was made in this
        very street, and that it had been made for a wedding. She would pay whatever it cost to
        have it striking again by the winter fair, when the family would gather for the first time
        in years. Agnes looked at the bent tooth, the worn pivots and the dirt of two centuries,
        and said that she would try.

        She spent the next three weeks on it. She cleaned every wheel in benzine and pegged out
        every pivot hole, straightened the count wheel tooth with a jeweller's hammer no bigger
        than a pencil, and made a new suspension spring from a strip of steel she had been saving
        for something worth the trouble. In the evenings Tom Ruddock came round with the end of the
        day's bread and watched her work, and said nothing, which was the kindest thing anyone had
        done for her in a long while.
    """)),
    ("Chapter Three: The Winter Fair", paras("""
        The winter fair filled the market square on the third Saturday of December, with braziers
        at the corners, a brass band on the steps of the corn exchange and stalls selling roasted
        chestnuts, gingerbread and hot spiced ale. Agnes closed the shop at noon, wrapped the
        bracket clock in a blanket, and carried it up the hill to the Fairlie house herself,
        refusing Daniel's offer of a cart because she did not trust its springs.

        The house was full of people she did not know: aunts and cousins who had come in from the
        country, children running between the legs of the adults, a dog asleep by the fire.
        Daniel's grandmother sat in a high-backed chair near the window, very small and very
        upright, and when Agnes set the clock on the table beside her she reached out and touched
        the case with the tips of her fingers, as if to make sure that it was real.

        Agnes wound it, set the hands to a few minutes before four, and stepped back. The room went
        quiet. For a long moment the only sound was the tick of the escapement, steady and a
        little loud, the way old clocks are. Then the hands reached the hour, the strike train
        gathered itself with a soft whirr, and the bell rang four times, clear and bright, over
        the noise of the fair drifting up from the square.

        Nobody said anything for a while. Then the old woman laughed, a small dry laugh, and said
        that it sounded exactly as it had when she was a girl, and that she had thought she would
        never hear it again. The aunts began to talk all at once, the children were hushed, and
        somebody pressed a glass of spiced ale into Agnes's hand before she could refuse it.

        She walked home in the dark, past the shuttered stalls and the dying braziers, and let
        herself into the shop on Vennel Street. The sixty-three clocks were ticking away on the
        walls and shelves, each of them wrong in its own particular way, and for once she did not
        mind in the slightest. She lit the lamp, sat down at the bench, and picked up the French
        carriage clock that stopped whenever a cart went by.
    """)),
]

# --- data.csv: an allotment society's plot register (seeded; the fact is plot 37) ---

CSV_FIRST = ["Joan", "Ravi", "Margaret", "Kwame", "Siobhan", "Peter", "Aisha", "Graham", "Helen",
             "Tomasz", "Priya", "Derek", "Fiona", "Samuel", "Yusuf", "Carol", "Owen", "Ngozi",
             "Brian", "Lucy", "Marek", "Irene", "Hassan", "Gwen", "Colin", "Leah", "Stuart", "Mei",
             "Alan", "Rosa"]
CSV_LAST = ["Ellis", "Mistry", "Hughes", "Mensah", "Byrne", "Walsh", "Khan", "Turner", "Price",
            "Nowak", "Shah", "Collins", "Reid", "Okafor", "Ahmed", "Baker", "Jones", "Adeyemi",
            "Fletcher", "Lee", "Kowalski", "Moss", "Ali", "Rees", "Grant", "Cohen", "Murray",
            "Chen", "Webb", "Silva"]
CSV_CROPS = ["potatoes; onions; runner beans", "leeks; parsnips; kale", "strawberries; raspberries",
             "broad beans; peas; lettuce", "tomatoes; peppers; chillies (polytunnel)",
             "garlic; shallots; beetroot", "cut flowers; sweet peas", "brassicas; swede",
             "asparagus; rhubarb", "courgettes; pumpkins; sweetcorn", "herbs; salad leaves",
             "blackcurrants; gooseberries; apples", "carrots; celeriac; chard",
             "potatoes; cabbages", "soft fruit; dahlias"]
CSV_NOTES = ["Shares a shed with the neighbouring plot.",
             "Half plot; the other half is being cleared for a new tenant.",
             "Has asked for a second water butt.",
             "Fruit cage needs repairing after the winter storms.",
             "Runs the seed swap every February.",
             "Keeps two beehives with the committee's permission.",
             "Raised beds built for wheelchair access.",
             "June inspection: well kept.",
             "June inspection: overgrown; reminder letter sent.",
             "Compost bays shared with the plots on either side.",
             "Grows flowers for the church every Easter.",
             "New tenant this year; welcome pack given.",
             "Polytunnel approved by the committee in 2021.",
             "Rhubarb crowns available to share in spring.",
             "Volunteers at the Sunday tea hut.",
             "Transferred from the waiting list at the Elm Street site.",
             "Greenhouse glass broken; repair due before autumn.",
             "Pond dug for frogs and newts.",
             "The school gardening club uses this plot on Wednesday afternoons.",
             "Bramble along the boundary to be cut back.",
             "Rent paid for two years in advance.",
             "Tap at the end of the path leaks; reported to the council.",
             "", "", "", ""]
CSV_FACT_ROW = {"plot": 37, "holder": "Wilhelmina Sprockett-Dunn", "since": 2009, "size_m2": 250,
                "main_crops": "squash; sweetcorn; marrows", "water_butt": "yes",
                "notes": "Grew the marrow that took first prize at the county show, weighing 41.6 kg."}

# --- config.json: an observatory's scheduler configuration ---

CONFIG = {
    "_comment": "Scheduler configuration for the Corrowdale Observatory robotic telescope. Values are read at start-up; restart the scheduler after editing this file.",
    "version": 3,
    "observatory": {
        "name": "Corrowdale Observatory",
        "site_code": "CRW",
        "latitude_deg": 54.3172,
        "longitude_deg": -2.9841,
        "elevation_m": 412,
        "timezone": "Europe/London",
        "description": "A small public observatory on the moor above Corrowdale village, run by the county astronomical society, with a remotely operated half-metre reflector and a solar telescope used for daytime outreach.",
    },
    "dome": {
        "diameter_m": 4.5,
        "home_azimuth_deg": 180,
        "slew_speed_deg_per_s": 4.5,
        "shutter_timeout_s": 90,
        "description": "The dome rotates on a toothed ring driven by two motors. The shutter must be fully open before the telescope leaves its park position, and it closes automatically if contact with the scheduler is lost for longer than the shutter timeout.",
    },
    "telescope": {
        "aperture_mm": 500,
        "focal_ratio": 6.8,
        "mount": "German equatorial",
        "park_position": {"azimuth_deg": 0, "altitude_deg": 15},
        "slew_limits": {"min_altitude_deg": 15, "meridian_flip_hour_angle": 0.25},
        "description": "Park the telescope pointing north and low, so that rain running off the shutter cannot fall into the tube. Meridian flips are done automatically a quarter of an hour after the target crosses the meridian.",
    },
    "cameras": [
        {"name": "main", "type": "cooled CMOS", "cooling_target_c": -15, "filters": ["L", "R", "G", "B", "Ha", "OIII"],
         "description": "The main imaging camera. Let it cool for twenty minutes before the first exposure and warm it slowly at the end of the night to avoid condensation on the sensor."},
        {"name": "guide", "type": "uncooled CMOS", "cooling_target_c": None, "filters": [],
         "description": "Guide camera on the off-axis guider. It needs a star brighter than magnitude eleven within the guider field; the scheduler picks one automatically."},
        {"name": "allsky", "type": "fisheye", "cooling_target_c": None, "filters": [],
         "description": "All-sky camera on the roof, used to estimate cloud cover. Its images are kept for seven days and then deleted."},
    ],
    "scheduler": {
        "twilight": "nautical",
        "min_altitude_deg": 25,
        "moon_avoidance_deg": 30,
        "max_airmass": 2.2,
        "priority_rules": [
            "Time-critical observations such as transits and occultations always come first.",
            "Student projects come before long-term monitoring on weeknights during term.",
            "Targets that are setting are preferred over targets that are rising.",
            "A target is not observed twice in one night unless its programme asks for it.",
        ],
        "description": "The scheduler plans the night at dusk and re-plans whenever the weather changes or an observation fails. Observations are split into blocks of at most forty minutes so that a passing cloud costs as little time as possible.",
    },
    "targets": [
        {"name": "M31", "programme": "outreach", "exposure_s": 120, "frames": 30, "note": "Andromeda Galaxy, used for the autumn open evenings."},
        {"name": "M42", "programme": "outreach", "exposure_s": 30, "frames": 60, "note": "Orion Nebula; short exposures keep the core from saturating."},
        {"name": "M13", "programme": "student", "exposure_s": 60, "frames": 40, "note": "Globular cluster for the colour-magnitude diagram practical."},
        {"name": "NGC 7000", "programme": "imaging", "exposure_s": 600, "frames": 24, "note": "North America Nebula in hydrogen-alpha; needs a moonless night."},
        {"name": "SS Cyg", "programme": "monitoring", "exposure_s": 60, "frames": 5, "note": "Dwarf nova; observe every clear night and report outbursts to the variable star section."},
        {"name": "Algol", "programme": "student", "exposure_s": 10, "frames": 300, "note": "Eclipsing binary; schedule around predicted minima only."},
        {"name": "HD 189733", "programme": "transits", "exposure_s": 30, "frames": 400, "note": "Exoplanet transit; start an hour before ingress and stop an hour after egress."},
        {"name": "M57", "programme": "outreach", "exposure_s": 90, "frames": 20, "note": "Ring Nebula, a favourite with visiting school groups."},
        {"name": "M51", "programme": "imaging", "exposure_s": 300, "frames": 36, "note": "Whirlpool Galaxy; best in spring when it passes close to the zenith."},
        {"name": "R CrB", "programme": "monitoring", "exposure_s": 20, "frames": 10, "note": "Variable that fades without warning; one set of frames every clear night."},
        {"name": "Jupiter", "programme": "outreach", "exposure_s": 0.01, "frames": 2000, "note": "Planetary video for open evenings; use the small region of interest to keep the frame rate high."},
    ],
    "weather": {
        "sources": ["roof weather station", "rain sensor", "all-sky camera", "regional forecast feed"],
        "limits": {"max_wind_kmh": 40, "max_gust_kmh": 55, "max_humidity_pct": 90, "min_sky_temp_delta_c": 18},
        "interlock": {
            "enabled": True,
            "reopen_delay_min": 30,
            "close_on_rain": True,
            "override_policy": "Only the night supervisor, Thaddeus Omwire-Lachance, may override the weather interlock, and every override must be written in the observing log with the time and the reason.",
        },
        "description": "If any limit is exceeded the dome closes and the scheduler pauses. The dome reopens only after conditions have stayed within the limits for the whole reopen delay.",
    },
    "maintenance": {
        "mirror_cleaning_months": 18,
        "dome_ring_grease_months": 3,
        "focuser_backlash_steps": 40,
        "description": "Routine maintenance is done on the first clear-weather weekend of each quarter, with the telescope parked and the scheduler stopped. Record every job in the maintenance book in the control room, including the date, who did it and anything that still needs attention.",
    },
    "notifications": {
        "email_on": ["interlock trip", "dome fault", "camera fault", "end of night summary"],
        "quiet_hours": {"start": "23:00", "end": "07:00", "except": ["dome fault"]},
        "description": "Faults that leave the dome open always send a message, even during quiet hours. Everything else waits for the end of night summary.",
    },
    "data": {
        "raw_dir": "/srv/observatory/raw",
        "calibrated_dir": "/srv/observatory/calibrated",
        "retention_days": 365,
        "calibration_frames": {"bias": 50, "dark_minutes": [1, 2, 5, 10], "flats": "dusk sky"},
        "description": "Raw frames are kept for a year. Calibrated frames and the observing log are kept permanently and copied to the society's archive every Sunday morning.",
    },
}

# --- readme.txt: a community radio station's volunteer readme ---

README_TXT = """\
RADIO KILBRANNAN 97.4 FM - VOLUNTEER README
===========================================

Welcome to Radio Kilbrannan. This file is for new volunteers: presenters, producers, engineers
and everyone who helps keep a small community station on the air. Read it before your first
shift, and come back to it when something puzzles you. If it does not answer your question, ask
the duty manager, whose name is on the whiteboard in the corridor.


1. WHO WE ARE
-------------

Radio Kilbrannan is a not-for-profit community station broadcasting to the town and the three
valleys around it. We have been on air since 2006, first with a temporary licence for the summer
festival and then with a full community licence. Nobody here is paid except the part-time station
manager; everything else is done by around ninety volunteers, from school students to retired
engineers.

Our licence commits us to a mix of local news, music that the commercial stations do not play,
programmes in Gaelic, and airtime for local groups and charities. Please keep that in mind when
you plan a programme: we are here to serve the community, not to imitate the big stations.


2. GETTING INTO THE BUILDING
----------------------------

The studios are on the first floor of the old customs house on Harbour Road. The street door is
opened with the key fob you will be given after your induction. Out of hours, the fob also
disarms the alarm; if the panel beeps after you come in, present the fob again within thirty
seconds. Always sign the book at the top of the stairs when you arrive and when you leave, so
that we know who is in the building if the fire alarm goes off.

The building is shared with a harbour charity on the ground floor. Please do not use their
kitchen, and keep noise down on the stairs before nine in the morning.


3. THE STUDIOS
--------------

Studio A is the main on-air studio. It has the modern digital desk, three microphones, the
playout computer and the telephone system for phone-ins. Studio B is the production studio, used
for recording interviews, pre-recording programmes and training. It is also the emergency
back-up studio: if Studio A fails, the duty manager can switch the transmitter feed to Studio B
in under a minute.

The old mixing desk in Studio B, built by Dunmore Audio in 1979 and rescued from a theatre that
closed, is known to everyone at the station as Mrs Pennyfeather Ormsby. It is noisier than the
digital desk and two of its faders crackle, but it has never once failed during a broadcast, and
the engineers would rather keep it than replace it.

Never eat or drink at either desk. Headphones must be returned to their hooks after every show,
and microphones must be switched off at the desk, not at the microphone, to avoid a loud click
on air.


4. GOING ON AIR
---------------

Arrive at least twenty minutes before your programme. Check the running order, log in to the
playout system with your own account, and listen to the end of the previous programme on
headphones so that the handover is smooth. At the top of every hour the station identification
and the news bulletin play automatically; do not talk over them.

If something goes wrong on air, stay calm. A few seconds of silence is not a disaster. If the
playout computer freezes, play the emergency music loop from the red button on the desk and call
the duty engineer. Never swear on air, never broadcast a caller's telephone number, and never
give out personal details of anyone without their permission.


5. MUSIC AND LICENSING
----------------------

All music played on air must come from the station's library or be logged in the playout
system, because we report every track to the licensing bodies each month. If you bring your own
music, give it to the music coordinator at least a week before your show so that it can be added
to the library. Live performances in the studio must be booked with the station manager in
advance.


6. TRAINING AND SAFETY
----------------------

Every new volunteer does a two-hour induction and at least three supervised shifts before
presenting alone. Further training in interviewing, editing and outside broadcasts is offered
on the first Saturday of each month. The first aid kit is in the corridor cupboard, the fire
exits are marked on the plan by the stairs, and the assembly point is the car park across
Harbour Road.


7. OUTSIDE BROADCASTS
---------------------

Each summer we broadcast live from the agricultural show, the regatta and the music festival.
Outside broadcasts use the portable kit in the engineering cupboard: a small desk, two radio
microphones, a laptop with the playout software and the bonded mobile link that sends the
programme back to the studio. Book the kit at least a fortnight ahead, test the link from the
venue the day before, and always leave a presenter in Studio A who can take over if the link
drops. Bring the kit back clean, charged and packed exactly as you found it.


8. CONTACTS
-----------

Station manager: the office next to Studio B, weekdays from ten until two.
Duty engineer: the number on the whiteboard, at any time while we are on air.
Music coordinator: the pigeonhole marked MUSIC in the corridor.

Thank you for volunteering. The station only exists because people like you give their time.
"""

# --- script.py: a harbour tide estimator (must stay valid, runnable Python) ---

SCRIPT_PY = '''\
#!/usr/bin/env python3
"""Estimate the tides at Port Ellery harbour from its harmonic constituents.

This script is used by the harbour office to print a simple table of predicted tide heights for
a given day, together with the times of high and low water. It is not a substitute for the
official tide tables, which take account of many more constituents and of local effects such as
river flow and storm surge, but it is close enough for planning dredging work, pontoon
maintenance and the launching of the harbour workboat.

The method is the classic harmonic one: the tide is treated as the sum of a small number of
cosine waves, each with a known speed (set by the motions of the Moon and the Sun), and an
amplitude and phase that were measured at the harbour gauge over a full year of observations.
Heights are calculated every ten minutes and turning points are found by comparing neighbouring
values.

Accuracy: compared with the gauge record for 2023, the predicted times of high water are
usually within fifteen minutes and the heights within twenty centimetres. The errors are largest
at neap tides, when the shallow-water constituents left out here matter most, and during strong
westerly winds, which can hold the water up in the harbour for several hours. Anyone planning
work that depends on a few centimetres of water should use the official tables and watch the
gauge on the day.

Usage:

    python3 script.py 2024-03-15
    python3 script.py 2024-03-15 --step 30
"""

import argparse
import datetime
import math

# Mean water level above chart datum, in metres, from the 2019 survey of the harbour.
MEAN_LEVEL_M = 2.84

# Harmonic constituents measured at the harbour gauge: name, speed in degrees per hour,
# amplitude in metres and phase lag in degrees. The principal lunar (M2) and solar (S2)
# semidiurnal terms dominate, as they do almost everywhere on this coast.
CONSTITUENTS = [
    ("M2", 28.9841042, 1.62, 112.0),
    ("S2", 30.0000000, 0.54, 148.0),
    ("N2", 28.4397295, 0.31, 95.0),
    ("K2", 30.0821373, 0.15, 146.0),
    ("K1", 15.0410686, 0.09, 201.0),
    ("O1", 13.9430356, 0.08, 47.0),
]

# Heights are given relative to chart datum. The harbour tide gauge is calibrated against the
# Haldorsen-Quigg benchmark, a bronze disc set into the north quay wall 4.217 m above chart
# datum, and the gauge should be checked against it after any work on the quay.

# Reference epoch for the phases above: midnight at the start of 2019, harbour time.
EPOCH = datetime.datetime(2019, 1, 1, 0, 0)


def height_at(moment):
    """Return the predicted height of the tide, in metres above chart datum, at a moment.

    The moment is a naive datetime in harbour time. Each constituent contributes a cosine wave
    whose argument grows steadily with the hours elapsed since the reference epoch.
    """
    hours = (moment - EPOCH).total_seconds() / 3600.0
    height = MEAN_LEVEL_M
    for _name, speed, amplitude, phase in CONSTITUENTS:
        height += amplitude * math.cos(math.radians(speed * hours - phase))
    return height


def heights_for_day(day, step_minutes=10):
    """Return a list of (datetime, height) pairs covering one day at a fixed step.

    One extra step on either side of the day is included so that a high or low water falling
    right at midnight is still found by turning_points().
    """
    start = datetime.datetime(day.year, day.month, day.day) - datetime.timedelta(minutes=step_minutes)
    count = (24 * 60) // step_minutes + 3
    return [
        (start + datetime.timedelta(minutes=i * step_minutes),
         height_at(start + datetime.timedelta(minutes=i * step_minutes)))
        for i in range(count)
    ]


def turning_points(samples):
    """Find high and low waters in a list of (datetime, height) samples.

    A sample is a high water when it is higher than both of its neighbours, and a low water when
    it is lower than both. With a ten-minute step the times found are within five minutes of the
    true turning points, which is as good as the model itself.
    """
    events = []
    for before, current, after in zip(samples, samples[1:], samples[2:]):
        if current[1] > before[1] and current[1] >= after[1]:
            events.append(("High water", current[0], current[1]))
        elif current[1] < before[1] and current[1] <= after[1]:
            events.append(("Low water", current[0], current[1]))
    return events


def print_table(day, step_minutes):
    """Print the hourly heights and the turning points for a day."""
    samples = heights_for_day(day, step_minutes)
    print(f"Predicted tides for Port Ellery harbour on {day.isoformat()}")
    print("Heights in metres above chart datum\\n")
    for moment, height in samples:
        if moment.date() == day and moment.minute == 0:
            print(f"  {moment:%H:%M}  {height:5.2f}  " + "#" * int(round(height * 4)))
    print()
    for kind, moment, height in turning_points(samples):
        if moment.date() == day:
            print(f"  {kind:<10}  {moment:%H:%M}  {height:5.2f} m")


def main():
    parser = argparse.ArgumentParser(description="Estimate the tides at Port Ellery harbour.")
    parser.add_argument("day", nargs="?", default="2024-03-15", help="date as YYYY-MM-DD")
    parser.add_argument("--step", type=int, default=10, help="minutes between samples")
    args = parser.parse_args()
    day = datetime.date.fromisoformat(args.day)
    print_table(day, args.step)


if __name__ == "__main__":
    main()
'''


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------

def normalize_zip(path, rewrite=None):
    """Rewrites a zip container with fixed timestamps and permissions, keeping entry order and
    compression types (so an EPUB's stored `mimetype` stays first and uncompressed)."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w") as zout:
        for info, data in entries:
            if rewrite is not None:
                data = rewrite(info.filename, data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = info.compress_type
            zi.create_system = 3
            zi.external_attr = 0o644 << 16
            zout.writestr(zi, data, compress_type=info.compress_type, compresslevel=9)


def fix_ooxml_core_dates(name, data):
    """Pins dcterms:created/modified in docProps/core.xml (openpyxl stamps 'now' on save)."""
    if name != "docProps/core.xml":
        return data
    stamp = FIXED_DT.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    for tag in (b"dcterms:created", b"dcterms:modified"):
        data = re.sub(rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)", rb"\g<1>" + stamp + rb"\g<2>", data)
    return data


def write_manual_pdf(path):
    from reportlab import rl_config
    rl_config.invariant = 1
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    body = ParagraphStyle("body", fontName="Times-Roman", fontSize=11, leading=15, spaceAfter=8)
    heading = ParagraphStyle("heading", fontName="Helvetica-Bold", fontSize=14, leading=18,
                             spaceBefore=6, spaceAfter=8)
    title = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=20, leading=24, spaceAfter=6)
    subtitle = ParagraphStyle("subtitle", fontName="Helvetica-Oblique", fontSize=11, leading=14,
                              spaceAfter=18)

    story = [Paragraph(escape(MANUAL_TITLE), title), Paragraph(escape(MANUAL_SUBTITLE), subtitle)]
    for i, page in enumerate(MANUAL_PAGES):
        if i:
            story.append(PageBreak())
        for head, ps in page:
            story.append(Paragraph(escape(head), heading))
            story.extend(Paragraph(escape(p), body) for p in ps)
            story.append(Spacer(1, 6))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(2.5 * cm, 1.5 * cm, "Skerrow Point Light - Keeper's Maintenance Manual")
        canvas.drawRightString(A4[0] - 2.5 * cm, 1.5 * cm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(path, pagesize=A4, leftMargin=2.5 * cm, rightMargin=2.5 * cm,
                            topMargin=2.5 * cm, bottomMargin=2.5 * cm, title=MANUAL_TITLE,
                            author="Northern Coast Lights Trust", subject="Lighthouse maintenance",
                            creator="Hearth make-rag-fixtures.py", invariant=1)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)


def write_report_docx(path):
    import docx
    from docx.shared import Pt

    d = docx.Document()
    d.add_paragraph(REPORT_TITLE, style="Title")
    d.add_paragraph(REPORT_SUBTITLE, style="Subtitle")
    for kind, content in REPORT_BLOCKS:
        if kind == "h1":
            d.add_heading(content, level=1)
        elif kind == "h2":
            d.add_heading(content, level=2)
        elif kind == "p":
            d.add_paragraph(content)
        elif kind == "table":
            table = d.add_table(rows=len(content), cols=len(content[0]))
            table.style = "Table Grid"
            for r, row in enumerate(content):
                for c, value in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = value
                    if r == 0:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
                            run.font.size = Pt(11)
    cp = d.core_properties
    cp.title = REPORT_TITLE + " - Annual Report 2023"
    cp.author = "Hollowmere Orchard Cooperative committee"
    cp.last_modified_by = "Hearth make-rag-fixtures.py"
    cp.created = FIXED_DT
    cp.modified = FIXED_DT
    cp.last_printed = FIXED_DT
    cp.revision = 1
    d.save(path)
    normalize_zip(path, fix_ooxml_core_dates)


def write_slides_pptx(path):
    from pptx import Presentation
    from pptx.util import Pt

    prs = Presentation()
    s = prs.slides.add_slide(prs.slide_layouts[0])
    s.shapes.title.text = SLIDES_TITLE
    s.placeholders[1].text = SLIDES_SUBTITLE
    s.notes_slide.notes_text_frame.text = SLIDES_TITLE_NOTES
    for title, bullets, notes in SLIDES:
        s = prs.slides.add_slide(prs.slide_layouts[1])
        s.shapes.title.text = title
        tf = s.placeholders[1].text_frame
        tf.word_wrap = True
        for i, bullet in enumerate(bullets):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.text = bullet
            p.font.size = Pt(16)
        s.notes_slide.notes_text_frame.text = notes
    cp = prs.core_properties
    cp.title = "Brackenfold Valley Railway - " + SLIDES_TITLE
    cp.author = "Brackenfold Valley Railway operations office"
    cp.last_modified_by = "Hearth make-rag-fixtures.py"
    cp.created = FIXED_DT
    cp.modified = FIXED_DT
    cp.revision = 1
    prs.save(path)
    normalize_zip(path, fix_ooxml_core_dates)


def write_inventory_xlsx(path):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    for ws, title, rows, widths in (
        (wb.active, INVENTORY_SHEET1, INVENTORY_SHEET1_ROWS, [14, 34, 30, 10, 11, 70]),
        (None, INVENTORY_SHEET2, INVENTORY_SHEET2_ROWS, [38, 30, 80]),
    ):
        if ws is None:
            ws = wb.create_sheet()
        ws.title = title
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for i, w in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = w
        ws.freeze_panes = "A2"
    wb.properties.title = "Thornquay Museum of Natural History - stores inventory"
    wb.properties.creator = "Thornquay Museum collections team"
    wb.properties.lastModifiedBy = "Hearth make-rag-fixtures.py"
    wb.properties.created = FIXED_DT
    wb.save(path)
    normalize_zip(path, fix_ooxml_core_dates)


def guide_html():
    sections = []
    for head, ps in GUIDE_SECTIONS:
        sections.append(f"    <section>\n      <h2>{escape(head)}</h2>\n"
                        + "".join(f"      <p>{escape(p)}</p>\n" for p in ps)
                        + "    </section>\n")
    intro = "".join(f"    <p class=\"lead\">{escape(p)}</p>\n" for p in GUIDE_INTRO)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(GUIDE_TITLE)}</title>
  <style>
    /* noise-style-rule: site stylesheet, not content */
    body {{ font-family: Georgia, serif; max-width: 46rem; margin: 0 auto; color: #223; }}
    nav ul {{ list-style: none; display: flex; gap: 1rem; }}
    .lead {{ font-size: 1.15rem; }}
    footer {{ font-size: 0.8rem; color: #667; border-top: 1px solid #ccd; }}
  </style>
  <script>
    window.dataLayer = window.dataLayer || [];
    function caddonTrackVisit(page) {{ window.dataLayer.push({{event: "page_view", page: page}}); }}
    caddonTrackVisit("visitor-guide");
  </script>
</head>
<body>
  <nav aria-label="Main">
    <ul>
      <li><a href="/">Home</a></li>
      <li><a href="/visit">Visit</a></li>
      <li><a href="/wildlife">Wildlife</a></li>
      <li><a href="/membership">Membership</a></li>
      <li><a href="/donate">Donate today and adopt a reed bed</a></li>
    </ul>
  </nav>
  <main>
    <article>
    <h1>{escape(GUIDE_TITLE)}</h1>
{intro}{''.join(sections)}    </article>
  </main>
  <footer>
    <p>County Wildlife Trust. Registered charity number 1184467.</p>
    <p><a href="/privacy">Privacy</a> | <a href="/cookies">Cookies</a> | <a href="/contact">Contact</a></p>
  </footer>
  <script src="/static/js/cookie-banner.js" defer></script>
</body>
</html>
"""


def write_novel_epub(path):
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("urn:uuid:6f1e2a4c-3b7d-4e2a-9c11-hearth0fixture")
    book.set_title(NOVEL_TITLE)
    book.set_language("en")
    book.add_author(NOVEL_AUTHOR)
    chapters = []
    for i, (title, ps) in enumerate(NOVEL_CHAPTERS, start=1):
        ch = epub.EpubHtml(title=title, file_name=f"chapter{i}.xhtml", lang="en", uid=f"chapter{i}")
        ch.content = (f"<html><head><title>{escape(title)}</title></head><body>"
                      f"<h1>{escape(title)}</h1>"
                      + "".join(f"<p>{escape(p)}</p>" for p in ps)
                      + "</body></html>")
        book.add_item(ch)
        chapters.append(ch)
    book.toc = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = chapters
    epub.write_epub(path, book, {"mtime": FIXED_DT})
    normalize_zip(path)


def write_data_csv(path):
    rng = random.Random(SEED)
    fields = ["plot", "holder", "since", "size_m2", "main_crops", "water_butt", "notes"]
    names = [f"{f} {l}" for f in CSV_FIRST for l in CSV_LAST]
    rng.shuffle(names)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for plot in range(1, 73):
            if plot == CSV_FACT_ROW["plot"]:
                w.writerow(CSV_FACT_ROW)
                continue
            w.writerow({
                "plot": plot,
                "holder": names[plot],
                "since": rng.randint(1988, 2024),
                "size_m2": rng.choice([125, 125, 250, 250, 250, 500]),
                "main_crops": rng.choice(CSV_CROPS),
                "water_butt": rng.choice(["yes", "yes", "no"]),
                "notes": rng.choice(CSV_NOTES),
            })


def write_corpus():
    os.makedirs(CORPUS, exist_ok=True)
    write_manual_pdf(os.path.join(CORPUS, "manual.pdf"))
    write_report_docx(os.path.join(CORPUS, "report.docx"))
    write_slides_pptx(os.path.join(CORPUS, "slides.pptx"))
    write_inventory_xlsx(os.path.join(CORPUS, "inventory.xlsx"))
    with open(os.path.join(CORPUS, "guide.html"), "w", encoding="utf-8") as fh:
        fh.write(guide_html())
    with open(os.path.join(CORPUS, "notes.md"), "w", encoding="utf-8") as fh:
        fh.write(NOTES_MD)
    write_novel_epub(os.path.join(CORPUS, "novel.epub"))
    write_data_csv(os.path.join(CORPUS, "data.csv"))
    with open(os.path.join(CORPUS, "config.json"), "w", encoding="utf-8") as fh:
        json.dump(CONFIG, fh, indent=2)
        fh.write("\n")
    with open(os.path.join(CORPUS, "readme.txt"), "w", encoding="utf-8") as fh:
        fh.write(README_TXT)
    with open(os.path.join(CORPUS, "script.py"), "w", encoding="utf-8") as fh:
        fh.write(SCRIPT_PY)
    manifest = [
        {"file": name, "format": f["format"], "question": f["question"],
         "answer_contains": f["answer_contains"], "page": f["page"], "heading": f["heading"]}
        for name, f in FACTS.items()
    ]
    with open(os.path.join(CORPUS, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")


# ---------------------------------------------------------------------------------------------
# B. Hostile files
# ---------------------------------------------------------------------------------------------

BOMB_TARGET = 2 * 1024 ** 3          # word/document.xml decompresses to at least this many bytes
BOMB_PARAGRAPH_TEXT = 1024 * 1024    # each paragraph holds a 1 MiB run of one letter
PAGES_COUNT = 10_000


def write_truncated_pdf(path):
    from reportlab import rl_config
    rl_config.invariant = 1
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle("Quarry safety notes")
    lines = [
        "Hard hats and high-visibility jackets must be worn beyond the weighbridge.",
        "Blasting takes place at noon on weekdays; the siren sounds three minutes before.",
        "Vehicles give way to loaded dump trucks on every haul road.",
        "Report any rockfall on the upper benches to the site foreman at once.",
    ]
    for page in range(1, 9):
        c.setFont("Helvetica-Bold", 16)
        c.drawString(72, 770, f"Quarry safety notes, page {page} of 8")
        c.setFont("Times-Roman", 11)
        y = 740
        for rep in range(12):
            for line in lines:
                c.drawString(72, y, line)
                y -= 14
            if y < 80:
                break
        c.showPage()
    c.save()
    data = buf.getvalue()
    with open(path, "wb") as fh:
        fh.write(data[: len(data) // 2])
    return len(data)


def write_bomb_docx(path):
    """A valid DOCX whose word/document.xml inflates to just over 2 GiB: paragraphs each holding
    a 1 MiB run of 'A', which deflate compresses about 1000:1. Written in streaming chunks; the
    entry needs ZIP64 because it is larger than 2 GiB - 1."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '</Types>')
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        '</Relationships>')
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<dc:title>Decompression bomb fixture</dc:title><dc:creator>Hearth make-rag-fixtures.py</dc:creator>'
        '<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T12:00:00Z</dcterms:created>'
        '</cp:coreProperties>')
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            b'<w:p><w:r><w:t>This document expands to more than two gibibytes.</w:t></w:r></w:p>')
    tail = b'</w:body></w:document>'
    para = b"<w:p><w:r><w:t>" + b"A" * BOMB_PARAGRAPH_TEXT + b"</w:t></w:r></w:p>"
    n_paras = -(-(BOMB_TARGET - len(head) - len(tail)) // len(para))
    total = len(head) + n_paras * len(para) + len(tail)

    def info(name):
        zi = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.create_system = 3
        zi.external_attr = 0o644 << 16
        return zi

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(info("[Content_Types].xml"), content_types)
        zf.writestr(info("_rels/.rels"), rels)
        zf.writestr(info("docProps/core.xml"), core)
        with zf.open(info("word/document.xml"), "w", force_zip64=True) as fh:
            fh.write(head)
            for _ in range(n_paras):
                fh.write(para)
            fh.write(tail)
    return total, n_paras


def write_pages_pdf(path, count=PAGES_COUNT):
    """A hand-written PDF 1.4 with `count` pages that share one content stream (one line of
    text) and inherit one font resource and one MediaBox from the page tree root."""
    text = f"This is one of the {count:,} identical pages of the Hearth hostile fixture."
    stream = f"BT /F1 12 Tf 72 770 Td ({text}) Tj ET".encode()
    first_page = 5
    objects = {
        1: b"<</Type/Catalog/Pages 2 0 R>>",
        2: (b"<</Type/Pages/Count " + str(count).encode() + b"/MediaBox[0 0 595 842]"
            b"/Resources<</Font<</F1 3 0 R>>>>/Kids["
            + b" ".join(f"{first_page + i} 0 R".encode() for i in range(count)) + b"]>>"),
        3: b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
        4: b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream",
    }
    page = b"<</Type/Page/Parent 2 0 R/Contents 4 0 R>>"
    info_num = first_page + count
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}

    def emit(num, body):
        offsets[num] = len(out)
        out.extend(f"{num} 0 obj\n".encode() + body + b"\nendobj\n")

    for num in sorted(objects):
        emit(num, objects[num])
    for i in range(count):
        emit(first_page + i, page)
    emit(info_num, b"<</Title(10,000 pages)/Producer(Hearth make-rag-fixtures.py)>>")
    xref = len(out)
    size = info_num + 1
    out.extend(f"xref\n0 {size}\n".encode() + b"0000000000 65535 f \n")
    for num in range(1, size):
        out.extend(f"{offsets[num]:010d} 00000 n \n".encode())
    out.extend(f"trailer\n<</Size {size}/Root 1 0 R/Info {info_num} 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode())
    with open(path, "wb") as fh:
        fh.write(out)


def write_random_pdf(path):
    with open(path, "wb") as fh:
        fh.write(random.Random(SEED).randbytes(64 * 1024))


NESTED_DEPTH = 100_000


def write_nested_html(path):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
                 "<title>Deeply nested divs</title></head>\n<body>\n")
        fh.write("<div>" * NESTED_DEPTH)
        fh.write("A little text inside one hundred thousand nested div elements.")
        fh.write("</div>" * NESTED_DEPTH)
        fh.write("\n</body>\n</html>\n")


def size_str(n):
    if n >= 1024 ** 3:
        return f"{n:,} bytes ({n / 1024 ** 3:.2f} GiB)"
    if n >= 1024 ** 2:
        return f"{n:,} bytes ({n / 1024 ** 2:.2f} MiB)"
    if n >= 1024:
        return f"{n:,} bytes ({n / 1024:.1f} KiB)"
    return f"{n:,} bytes"


def write_hostile():
    os.makedirs(HOSTILE, exist_ok=True)
    p = lambda name: os.path.join(HOSTILE, name)  # noqa: E731
    full_pdf = write_truncated_pdf(p("truncated.pdf"))
    bomb_total, bomb_paras = write_bomb_docx(p("bomb.docx"))
    write_pages_pdf(p("pages-10000.pdf"))
    write_random_pdf(p("random.pdf"))
    write_nested_html(p("nested.html"))
    sz = lambda name: os.path.getsize(p(name))  # noqa: E731
    readme = f"""# Hostile extraction fixtures

Files that Hearth's document extraction must handle without hanging, crashing, running out of
memory or producing garbage: each should fail cleanly with an error (or, where stated, be bounded
by a limit). Generated by `scripts/make-rag-fixtures.py`; regenerate rather than edit.

| File | Size on disk | What it is |
| --- | --- | --- |
| `truncated.pdf` | {size_str(sz("truncated.pdf"))} | The first half of a valid 8-page PDF of {size_str(full_pdf)} written by reportlab: the header and the first objects are intact, the cross-reference table, the trailer and `%%EOF` are missing. Lenient parsers can rebuild the xref by scanning and may recover some pages; a strict one fails. |
| `bomb.docx` | {size_str(sz("bomb.docx"))} | A valid DOCX (`[Content_Types].xml`, `_rels/.rels`, `docProps/core.xml`, `word/document.xml`) whose `word/document.xml` inflates to **{size_str(bomb_total)}** (deflate ratio about {bomb_total // sz("bomb.docx"):,}:1). It is well-formed XML: one short paragraph, then {bomb_paras:,} paragraphs each holding a 1 MiB run of the letter `A`. Its entry is ZIP64 (sizes above 2 GiB - 1) and the headers declare the true sizes, so a reader can refuse it from the central directory alone, before inflating anything. |
| `pages-10000.pdf` | {size_str(sz("pages-10000.pdf"))} | A valid, hand-written PDF 1.4 with {PAGES_COUNT:,} pages. Every page points to the same content stream (one line of Helvetica text) and inherits a single font resource and MediaBox from the page tree root, whose `Kids` array lists all {PAGES_COUNT:,} pages. Tests a page-count or extracted-size limit. |
| `random.pdf` | {size_str(sz("random.pdf"))} | 64 KiB of pseudo-random bytes (Python `random.Random({SEED})`), with a `.pdf` name and no PDF header. |
| `nested.html` | {size_str(sz("nested.html"))} | An HTML page whose body is {NESTED_DEPTH:,} nested `<div>` elements around one sentence of text. Tests that parsing and text extraction do not recurse per nesting level (stack overflow). |

Observed with other tools when these files were made: pypdf (strict or not) and poppler's
`pdftotext` both reject `truncated.pdf` ("EOF marker not found" / "Couldn't read xref table",
exit 1) and `random.pdf`; `pdftotext` reads all 10,000 pages of `pages-10000.pdf` in well under a
second; `unzip -l` lists `bomb.docx` with its true 2 GiB size without inflating it; libxml2's HTML
parser (lxml) stops at its default depth limit of 256 in `nested.html` and silently drops the
text, while Python's `html.parser` reaches it.
"""
    with open(p("README.md"), "w", encoding="utf-8") as fh:
        fh.write(readme)


# ---------------------------------------------------------------------------------------------
# Verification: re-open every file with a reader other than its writer where possible
# ---------------------------------------------------------------------------------------------

W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A_NS = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
P_NS = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
S_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def norm(s):
    return " ".join(s.split())


def rels_map(zf, rels_path):
    from lxml import etree
    root = etree.fromstring(zf.read(rels_path))
    return {r.get("Id"): r.get("Target") for r in root.iter(REL_NS + "Relationship")}


def extract_pdf(path):
    """Pages via pypdf, pdfminer.six and (when installed) poppler's pdftotext."""
    from pypdf import PdfReader
    from pdfminer.high_level import extract_text
    pypdf_pages = [norm(p.extract_text() or "") for p in PdfReader(path).pages]
    n = len(pypdf_pages)
    miner_pages = [norm(extract_text(path, page_numbers=[i])) for i in range(n)]
    poppler_pages = None
    if shutil.which("pdftotext"):
        poppler_pages = [norm(subprocess.run(["pdftotext", "-f", str(i + 1), "-l", str(i + 1), path, "-"],
                                             check=True, capture_output=True, text=True).stdout)
                         for i in range(n)]
    return pypdf_pages, miner_pages, poppler_pages


def extract_docx_sections(path):
    """(heading, text) pairs from the raw WordprocessingML, tracking the nearest heading style."""
    from lxml import etree
    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
        styles = etree.fromstring(zf.read("word/styles.xml"))
    style_names = {s.get(W_NS + "styleId"): s.find(W_NS + "name").get(W_NS + "val")
                   for s in styles.iter(W_NS + "style") if s.find(W_NS + "name") is not None}
    out, heading, levels = [], None, []
    for p in root.iter(W_NS + "p"):
        style = p.find(f"{W_NS}pPr/{W_NS}pStyle")
        name = style_names.get(style.get(W_NS + "val"), "") if style is not None else ""
        text = "".join(t.text or "" for t in p.iter(W_NS + "t"))
        if name.lower().startswith("heading"):
            heading = text
            levels.append((name, text))
        elif text:
            out.append((heading, text))
    return out, levels


def extract_pptx_slides(path):
    """[(title, body text)] in presentation order, from the raw PresentationML."""
    from lxml import etree
    slides = []
    with zipfile.ZipFile(path) as zf:
        pres = etree.fromstring(zf.read("ppt/presentation.xml"))
        rels = rels_map(zf, "ppt/_rels/presentation.xml.rels")
        for sld in pres.iter(P_NS + "sldId"):
            target = rels[sld.get(R_NS + "id")]
            root = etree.fromstring(zf.read("ppt/" + target))
            title, body = None, []
            for sp in root.iter(P_NS + "sp"):
                ph = sp.find(f"{P_NS}nvSpPr/{P_NS}nvPr/{P_NS}ph")
                text = "\n".join("".join(t.text or "" for t in para.iter(A_NS + "t"))
                                 for para in sp.iter(A_NS + "p"))
                if ph is not None and ph.get("type") in ("title", "ctrTitle"):
                    title = text
                else:
                    body.append(text)
            slides.append((title, norm(" ".join(body))))
    return slides


def extract_xlsx_sheets(path):
    """{sheet name: [[cell text]]} from the raw SpreadsheetML (shared and inline strings)."""
    from lxml import etree
    sheets = {}
    with zipfile.ZipFile(path) as zf:
        shared = []
        if "xl/sharedStrings.xml" in zf.namelist():
            for si in etree.fromstring(zf.read("xl/sharedStrings.xml")).iter(S_NS + "si"):
                shared.append("".join(t.text or "" for t in si.iter(S_NS + "t")))
        wbx = etree.fromstring(zf.read("xl/workbook.xml"))
        rels = rels_map(zf, "xl/_rels/workbook.xml.rels")
        for sh in wbx.iter(S_NS + "sheet"):
            target = rels[sh.get(R_NS + "id")].lstrip("/")
            target = target if target.startswith("xl/") else "xl/" + target
            rows = []
            for row in etree.fromstring(zf.read(target)).iter(S_NS + "row"):
                cells = []
                for c in row.iter(S_NS + "c"):
                    v = c.find(S_NS + "v")
                    if c.get("t") == "s":
                        cells.append(shared[int(v.text)])
                    elif c.get("t") == "inlineStr":
                        cells.append("".join(t.text or "" for t in c.iter(S_NS + "t")))
                    else:
                        cells.append(v.text if v is not None else "")
                rows.append(cells)
            sheets[sh.get("name")] = rows
    return sheets


def extract_epub_chapters(path):
    """[(h1 title, text)] following the OPF spine, from the raw zip."""
    from lxml import etree, html as lhtml
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names[0] == "mimetype" and zf.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        container = etree.fromstring(zf.read("META-INF/container.xml"))
        opf_path = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile").get("full-path")
        opf = etree.fromstring(zf.read(opf_path))
        ns = "{http://www.idpf.org/2007/opf}"
        items = {i.get("id"): i.get("href") for i in opf.iter(ns + "item")}
        base = os.path.dirname(opf_path)
        chapters = []
        for ref in opf.iter(ns + "itemref"):
            doc = lhtml.fromstring(zf.read(os.path.join(base, items[ref.get("idref")]) if base else items[ref.get("idref")]))
            h1 = doc.find(".//h1")
            chapters.append((norm(h1.text_content()) if h1 is not None else None, norm(doc.text_content())))
    return chapters


def extract_html_sections(html_text):
    """Visible text per h2 section after dropping nav/script/style/footer, via BeautifulSoup."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html_text, "lxml")
    for tag in soup(["script", "style", "nav", "footer", "head"]):
        tag.decompose()
    sections = []
    for p in soup.find_all("p"):
        h2 = p.find_previous("h2")
        sections.append((h2.get_text(strip=True) if h2 else None, norm(p.get_text())))
    return sections, norm(soup.get_text(" "))


def verify():
    import markdown as md
    problems = []
    texts = {}
    located = {}

    def check(cond, msg):
        if not cond:
            problems.append(msg)

    c = lambda name: os.path.join(CORPUS, name)  # noqa: E731
    manifest = json.load(open(c("manifest.json"), encoding="utf-8"))
    by_file = {m["file"]: m for m in manifest}
    check(set(by_file) == set(FACTS), "manifest files differ from FACTS")

    # PDF
    ans = by_file["manual.pdf"]["answer_contains"]
    pypdf_pages, miner_pages, poppler_pages = extract_pdf(c("manual.pdf"))
    check(len(pypdf_pages) >= 4, f"manual.pdf has {len(pypdf_pages)} pages")
    for label, pages in (("pypdf", pypdf_pages), ("pdfminer", miner_pages), ("pdftotext", poppler_pages)):
        if pages is None:
            print("  (pdftotext not installed; skipped)")
            continue
        hits = [i + 1 for i, t in enumerate(pages) if ans in t]
        check(hits == [by_file["manual.pdf"]["page"]], f"manual.pdf via {label}: fact on pages {hits}")
    if shutil.which("pdftotext"):
        raw = subprocess.run(["pdftotext", "-f", "3", "-l", "3", c("manual.pdf"), "-"],
                             capture_output=True, text=True).stdout
        check(ans in raw, "manual.pdf: fact is split across lines in pdftotext's raw output")
    texts["manual.pdf"] = " ".join(pypdf_pages)
    located["manual.pdf"] = f"page {[i + 1 for i, t in enumerate(pypdf_pages) if ans in t]} of {len(pypdf_pages)}"

    # DOCX (raw XML, plus python-docx's reader)
    import docx
    sections, headings = extract_docx_sections(c("report.docx"))
    ans = by_file["report.docx"]["answer_contains"]
    hits = [h for h, t in sections if ans in t]
    check(hits == [by_file["report.docx"]["heading"]], f"report.docx: fact under {hits}")
    check(headings[0][1] != hits[0] if hits else False, "report.docx: fact under the first heading")
    check({n for n, _ in headings} >= {"heading 1", "heading 2"}, f"report.docx heading styles {headings}")
    pd = docx.Document(c("report.docx"))
    check(any(ans in p.text for p in pd.paragraphs), "report.docx: python-docx cannot see the fact")
    texts["report.docx"] = " ".join(t for _, t in sections)
    located["report.docx"] = f"under {hits} ({len(headings)} headings: {sum(1 for n, _ in headings if n == 'heading 1')} H1, {sum(1 for n, _ in headings if n == 'heading 2')} H2)"

    # PPTX (raw XML)
    slides = extract_pptx_slides(c("slides.pptx"))
    ans = by_file["slides.pptx"]["answer_contains"]
    hits = [i + 1 for i, (_, body) in enumerate(slides) if ans in body]
    check(len(slides) >= 5 and all(t for t, _ in slides), "slides.pptx: fewer than 5 titled slides")
    check(hits == [by_file["slides.pptx"]["page"]], f"slides.pptx: fact on slides {hits}")
    check(slides[hits[0] - 1][0] == by_file["slides.pptx"]["heading"] if hits else False, "slides.pptx: title mismatch")
    texts["slides.pptx"] = " ".join(f"{t} {b}" for t, b in slides)
    located["slides.pptx"] = f"slide {hits} of {len(slides)}, title {slides[hits[0] - 1][0]!r}" if hits else "missing"

    # XLSX (raw XML)
    sheets = extract_xlsx_sheets(c("inventory.xlsx"))
    ans = by_file["inventory.xlsx"]["answer_contains"]
    hits = [(name, r + 1) for name, rows in sheets.items() for r, row in enumerate(rows) if any(ans in x for x in row)]
    check(len(sheets) == 2 and list(sheets)[1] == by_file["inventory.xlsx"]["heading"], f"inventory.xlsx sheets {list(sheets)}")
    check([h[0] for h in hits] == [by_file["inventory.xlsx"]["heading"]], f"inventory.xlsx: fact in {hits}")
    check(sheets[by_file["inventory.xlsx"]["heading"]][0] == ["Item", "Location", "Note"], "inventory.xlsx: second sheet header")
    texts["inventory.xlsx"] = " ".join(" ".join(map(str, row)) for rows in sheets.values() for row in rows)
    located["inventory.xlsx"] = f"sheet/row {hits}"

    # HTML (BeautifulSoup, with the noise dropped)
    html_text = open(c("guide.html"), encoding="utf-8").read()
    sections, visible = extract_html_sections(html_text)
    ans = by_file["guide.html"]["answer_contains"]
    hits = [h for h, t in sections if ans in t]
    check(hits == [by_file["guide.html"]["heading"]], f"guide.html: fact under {hits}")
    for marker in HTML_NOISE_MARKERS:
        check(marker in html_text and marker not in visible, f"guide.html noise marker {marker!r}")
    texts["guide.html"] = visible
    located["guide.html"] = f"under h2 {hits}; noise markers present in source, absent after dropping nav/script/style/footer"

    # Markdown (rendered by the markdown package, sections read back with BeautifulSoup)
    md_text = open(c("notes.md"), encoding="utf-8").read()
    rendered = md.markdown(md_text, extensions=["tables", "fenced_code"])
    sections, visible = extract_html_sections(rendered)
    ans = by_file["notes.md"]["answer_contains"]
    hits = [h for h, t in sections if ans in t]
    check(hits == [by_file["notes.md"]["heading"]], f"notes.md: fact under {hits}")
    line_heading = None
    for line in md_text.splitlines():
        if line.startswith("#"):
            line_heading = line.lstrip("#").strip()
        if ans in line:
            break
    check(line_heading == by_file["notes.md"]["heading"], f"notes.md: line scan puts the fact under {line_heading!r}")
    texts["notes.md"] = visible
    located["notes.md"] = f"under ## {hits}"

    # EPUB (raw zip + OPF spine; plus EbookLib's reader)
    from ebooklib import epub as ebl
    chapters = extract_epub_chapters(c("novel.epub"))
    ans = by_file["novel.epub"]["answer_contains"]
    hits = [(i + 1, t) for i, (t, body) in enumerate(chapters) if ans in body]
    check([h[0] for h in hits] == [2] and hits[0][1] == by_file["novel.epub"]["heading"], f"novel.epub: fact in {hits}")
    book = ebl.read_epub(c("novel.epub"))
    toc_titles = [link.title for link in book.toc]
    check(toc_titles == [t for t, _ in NOVEL_CHAPTERS], f"novel.epub toc {toc_titles}")
    texts["novel.epub"] = " ".join(b for _, b in chapters)
    located["novel.epub"] = f"spine chapter {hits}"

    # CSV / JSON / TXT / PY
    rows = list(csv.DictReader(open(c("data.csv"), encoding="utf-8", newline="")))
    ans = by_file["data.csv"]["answer_contains"]
    hits = [r["plot"] for r in rows if ans in " ".join(r.values())]
    check(hits == [str(CSV_FACT_ROW["plot"])], f"data.csv: fact in rows {hits}")
    texts["data.csv"] = open(c("data.csv"), encoding="utf-8").read()
    located["data.csv"] = f"row with plot {hits} of {len(rows)}"

    cfg = json.load(open(c("config.json"), encoding="utf-8"))
    strings = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
        elif isinstance(node, str):
            strings.append((path, node))
    walk(cfg, "$")
    ans = by_file["config.json"]["answer_contains"]
    hits = [p for p, s in strings if ans in s]
    check(len(hits) == 1, f"config.json: fact at {hits}")
    texts["config.json"] = open(c("config.json"), encoding="utf-8").read()
    located["config.json"] = f"at {hits}"

    for name in ("readme.txt", "script.py"):
        texts[name] = open(c(name), encoding="utf-8").read()
        ans = by_file[name]["answer_contains"]
        line = [i + 1 for i, l in enumerate(texts[name].splitlines()) if ans in l]
        located[name] = f"line {line} of {len(texts[name].splitlines())}"
    compile(texts["script.py"], "script.py", "exec")
    run = subprocess.run([sys.executable, c("script.py")], capture_output=True, text=True)
    check(run.returncode == 0 and "High water" in run.stdout, "script.py does not run")

    # Every fact exactly once in the whole corpus, away from the start of its own file, and
    # never given away by its question.
    for name, m in by_file.items():
        ans = m["answer_contains"]
        for other, text in texts.items():
            n = text.lower().count(ans.lower())
            check(n == (1 if other == name else 0), f"{ans!r} occurs {n} times in {other}")
        pos = texts[name].find(ans) / max(1, len(texts[name]))
        check(pos > 0.15, f"{name}: fact at {pos:.0%} of the text, too near the start")
        check(ans.lower() not in m["question"].lower(), f"{name}: question contains the answer")
        check(os.path.getsize(c(name)) < 200 * 1024, f"{name} is not well under 200 KB")
        words = len(re.findall(r"[A-Za-z][A-Za-z'-]*", texts[name]))
        print(f"  {name:15} {os.path.getsize(c(name)):>7,} B  {words:>5} words  fact at {pos:4.0%}  {located[name]}")

    # Hostile files
    h = lambda name: os.path.join(HOSTILE, name)  # noqa: E731
    from pypdf import PdfReader
    with zipfile.ZipFile(h("bomb.docx")) as zf:
        sizes = {i.filename: (i.file_size, i.compress_size) for i in zf.infolist()}
        check(set(sizes) >= {"[Content_Types].xml", "_rels/.rels", "word/document.xml"}, "bomb.docx entries")
        check(sizes["word/document.xml"][0] >= BOMB_TARGET, f"bomb.docx declares {sizes['word/document.xml'][0]}")
        if os.environ.get("HEARTH_FIXTURES_INFLATE_BOMB"):
            # Inflate it for real (about 10 s): counts bytes and checks the CRC via zipfile.
            n = 0
            with zf.open("word/document.xml") as fh:
                while chunk := fh.read(16 * 1024 * 1024):
                    n += len(chunk)
            check(n == sizes["word/document.xml"][0], f"bomb.docx inflated to {n}")
            print(f"  bomb.docx inflated for real: {n:,} bytes, CRC ok")
    print(f"  hostile/bomb.docx       {os.path.getsize(h('bomb.docx')):>9,} B  document.xml declares {sizes['word/document.xml'][0]:,} B")
    r = PdfReader(h("pages-10000.pdf"))
    check(len(r.pages) == PAGES_COUNT, f"pages-10000.pdf has {len(r.pages)} pages")
    check("identical pages" in r.pages[PAGES_COUNT - 1].extract_text(), "pages-10000.pdf last page text")
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", h("pages-10000.pdf")], capture_output=True, text=True).stdout
        check(re.search(r"^Pages:\s+10000$", info, re.M) is not None, "pdfinfo page count")
    print(f"  hostile/pages-10000.pdf {os.path.getsize(h('pages-10000.pdf')):>9,} B  pypdf sees {len(r.pages):,} pages")
    check(os.path.getsize(h("random.pdf")) == 65536, "random.pdf size")
    nested = open(h("nested.html"), encoding="utf-8").read()
    check(nested.count("<div>") == NESTED_DEPTH == nested.count("</div>"), "nested.html depth")
    tp = open(h("truncated.pdf"), "rb").read()
    check(tp.startswith(b"%PDF-") and b"%%EOF" not in tp and b"startxref" not in tp, "truncated.pdf shape")
    total = sum(os.path.getsize(h(n)) for n in os.listdir(HOSTILE))
    check(total < 8 * 1024 * 1024, f"hostile/ is {total} bytes")
    print(f"  hostile/ total {total:,} B")

    if problems:
        print("PROBLEMS:")
        for p in problems:
            print("  - " + p)
        return 1
    print("all fixture checks passed")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verify", action="store_true", help="only verify the existing files")
    args = ap.parse_args()
    if not args.verify:
        write_corpus()
        write_hostile()
    sys.exit(verify())


if __name__ == "__main__":
    main()
