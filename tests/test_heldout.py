"""Red flags on sets of phrasings the rules were tuned on, and on sets they never saw.

tests/data/ holds, in score.py's format (text, intents, escalation, and a class):
  tuning_safety*.jsonl  written to tune on: every row must be judged right; a row the skill
                        gets wrong today is a strict xfail with its reason.
  heldout_safety.jsonl  written before any tuning, measured after each change (its misses
                        were read, so it is no longer blind).
  heldout_safety_c.jsonl
                        written blind after the ninth tuning set and kept blind until after
                        the tenth; then its misses were read and fixed, so it is seen too.
  heldout_safety_b.jsonl, heldout_safety_d.jsonl, heldout_safety_e.jsonl, heldout_posts.jsonl,
  heldout_safety_f.jsonl .. heldout_safety_n.jsonl, heldout_own_durations.jsonl
                        held out: only their totals are looked at. Their limits are today's
                        measurements, so a change that loses ground fails; the product's
                        targets (no emergency missed, at most 2% of urgent and 10% of routine
                        missed, at most 5% false alarms) are in the limits' comments.
No sentence of any of these sets is copied into the content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from voice_skill.content.loader import LEVELS
from voice_skill.nlu.dialog import Conversation, Skill

DATA = Path(__file__).parent / "data"
TUNING_SETS = ("tuning_safety.jsonl", "tuning_safety_2.jsonl", "tuning_safety_3.jsonl",
               "tuning_safety_4.jsonl", "tuning_safety_5.jsonl", "tuning_safety_6.jsonl",
               "tuning_safety_7.jsonl", "tuning_safety_8.jsonl", "tuning_safety_9.jsonl",
               "tuning_safety_10.jsonl", "tuning_safety_11.jsonl",
               "tuning_safety_12.jsonl", "tuning_safety_13.jsonl", "tuning_safety_14.jsonl",
               "tuning_safety_15.jsonl", "tuning_safety_16.jsonl", "tuning_safety_17.jsonl",
               "tuning_safety_18.jsonl", "tuning_safety_19.jsonl", "tuning_safety_20.jsonl",
               "tuning_safety_21.jsonl", "tuning_safety_22.jsonl", "tuning_safety_23.jsonl",
               "tuning_safety_24.jsonl", "tuning_safety_25.jsonl", "tuning_safety_26.jsonl",
               "tuning_safety_27.jsonl", "tuning_safety_28.jsonl", "tuning_safety_29.jsonl",
               "tuning_safety_30.jsonl", "tuning_safety_31.jsonl", "tuning_safety_32.jsonl",
               "tuning_safety_33.jsonl", "tuning_safety_34.jsonl", "tuning_safety_35.jsonl",
               "tuning_safety_36.jsonl", "tuning_safety_37.jsonl", "tuning_safety_38.jsonl",
               "tuning_safety_39.jsonl", "tuning_safety_40.jsonl",
               "tuning_safety_41.jsonl", "tuning_safety_42.jsonl",
               "tuning_safety_43.jsonl", "tuning_safety_44.jsonl",
               "tuning_safety_45.jsonl", "tuning_safety_46.jsonl",
               "tuning_safety_47.jsonl", "tuning_safety_48.jsonl", "tuning_safety_49.jsonl",
               "tuning_safety_50.jsonl", "tuning_safety_51.jsonl", "tuning_safety_52.jsonl",
               "tuning_safety_53.jsonl", "tuning_safety_54.jsonl", "tuning_safety_55.jsonl",
               "tuning_safety_56.jsonl", "tuning_safety_57.jsonl", "tuning_safety_58.jsonl",
               "tuning_safety_59.jsonl")


def rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


def judged_right(want: str, got: str) -> bool:
    """score.py's rule: a red flag must not be under-triaged; a calm one must stay calm."""
    if want == "none":
        return got == "none"
    return LEVELS.index(got) >= LEVELS.index(want)


# Rows of the tuning sets the skill gets wrong today, with why.
KNOWN_MISSES = {
    # Stop 24's review: two rows fixed by cues taken out again, and why.
    "After Uncle Seán's funeral the whole family's gone a bit numb, nobody's talking much. Can "
    "grief and bad sleep cause muscle twitches?":
        "'numb' is read as new numbness ('the whole family' is no figure: beside a family's "
        "diarrhoea it would hide a real sign)",
    "The council flats' lift gave way again, so I'm carrying the pram up six floors. Can "
    "carrying heavy stuff on stairs give you cramp in your calves?":
        "'gave way' is read as weakness ('lift' alone is no thing: it is also what a weak leg "
        "cannot do)",
    # Stop 24, sets 57-59 and two rows the last retraining moved: the reasons say what the
    # skill reads.
    "Even after poking at my leg all evening and standing on my tiptoes about fifty times, I'd "
    "not honestly say there's any weakness in it.":
        "'tiptoes ... would not' is read as weakness",
    "Nobody could call this swelling, the leg looks exactly like it always does. I just get "
    "little pulses in the muscle when I rest.":
        "'it (swelling) ... leg' is read as a swollen, red, hot or discoloured calf, which can "
        "be a blood clot",
    "Nope, no drooping face, smile's the same as ever, my arms work fine. The only odd thing is "
    "the calf twitch.":
        "'my arms ... twitch' is read as twitching that is spreading to other parts of the body",
    "The muscle isn't wasting, it's as big as the other side. I only worry because my calf "
    "twitched a lot after running yesterday.":
        "'twitched ... other side' is read as twitching that is spreading to other parts of the "
        "body",
    "It hasn't been weeks, only since Monday, and it's not constant. It flicks a few times an "
    "hour then stops.":
        "the recall model reads a sign of twitching that has lasted for weeks or does not stop "
        "into it",
    "The cramp eased after a couple of minutes of stretching, it wasn't one of those that goes "
    "on for hours. What causes them?":
        "'it (cramp) ... for hours' is read as a cramp that will not ease",
    "Not a single bit of numbness in the saddle area, I know that's a red flag from my nursing "
    "course. Just a twitchy calf.":
        "'that (numbness) ... saddle' is read as numbness between the legs or in the saddle area",
    "Nothing's wrong with my waterworks. I'm a seventy-nine-year-old chap with leg cramps once "
    "in a blue moon.":
        "'blue ... leg' is read as a swollen, red, hot or discoloured calf, which can be a blood "
        "clot",
    "Cramp lasting hours? No, a minute. Vomiting or diarrhoea? No. Dirty cut? No. Just a sudden "
    "calf cramp yesterday.":
        "'cramp ... vomiting' is read as cramps after heavy fluid loss, or after a dirty wound",
    "So I went through the NHS symptom list and it's a no to all the red ones. Just a twitchy "
    "calf and a worried mind.":
        "'red ... calf' is read as a swollen, red, hot or discoloured calf, which can be a blood "
        "clot",
    "Tick boxes for spreading twitch, weakness, wasting and numbness are all empty. Only "
    "twitching in one calf, three days.":
        "'weakness' is read as weakness",
    "My little boy isn't having a fit, he's not shaking all over, he was giggling the whole "
    "time. His calf just twitches when he's tired.":
        "'twitches ... all over' is read as twitching that is spreading to other parts of the "
        "body",
    "It's not one leg, mate, it's both. Neither leg's painful but both have gone weak and numb "
    "since lunchtime.":
        "only weakness is found (urgent); no rule of its level has these words, and the recall "
        "model is not sure of it",
    "a friend of mine said her leg just suddenly wouldn't move once and it was a disc":
        "'would not move ... leg' is read as a leg that suddenly will not move or hold your "
        "weight",
    "my neighbour was telling me her calf swelled up and then she couldn't breathe and it was a "
    "clot, proper scary":
        "'swelled ... calf' is read as a swollen, red, hot or discoloured calf, which can be a "
        "blood clot",
    "is it bad when a calf goes all swollen and red, asking for my book club":
        "'swollen ... it' is read as a swollen, red, hot or discoloured calf, which can be a "
        "blood clot",
    "my colleague fainted at work last month and um they sent her off to hospital just in case":
        "'fainted' is read as fainting or passing out",
    "my friend's dad had a stroke and she said his speech went all slurred overnight":
        "'had a stroke' is read as signs of a stroke",
    "my dad heard calf pain when you walk that stops when you rest is to do with circulation":
        "'pain ... walk ... rest' is read as calf pain when walking that eases at rest",
    "my co worker said she got twitchy legs off her new antidepressant":
        "'twitching ... antidepressant' is read as twitching that began with a new medicine",
    "before covid i had chest pains that turned out to be nothing but i've got them again right "
    "now and they're much worse":
        "chest pain or coughing up blood is heard but read as past",
    "my running club friend said he cramped up for hours after the marathon":
        "'cramped ... for hours' is read as a cramp that will not ease",
    "my grandma had als and my mum worries about it loads":
        "'my mum ... als' is read as a close relative with ALS",
    "my boss is always saying he gets numb hands from his bike":
        "'numb' is read as new numbness",
    "my wife heard from her sister that cramps after the runs are from losing salts":
        "'cramps ... the runs' is read as cramps after heavy fluid loss, or after a dirty wound",
    "my mate's mum went confused all of a sudden and it turned out to be a water infection":
        "'confused ... all of a sudden' is read as sudden confusion",
    "ah hello i was just wondering can twitching spread because my friend at work said her "
    "cousin had it go from her leg to her arm and i got a bit worried now mine is just in the "
    "one calf since thursday and its only the odd flicker and it hasnt moved anywhere and i feel "
    "fine in myself so is spreading a thing that happens":
        "'spreading' is read as twitching that is spreading to other parts of the body",
    "good morning please i want to ask is it true that magnesium helps with cramps in the leg "
    "because my neighbour was telling me she takes it every night and i get the small cramp in "
    "my calf sometimes once in a month maybe after standing long in the market and it goes in a "
    "minute so should i also take it":
        "'cramp ... every night' is read as cramps that are severe or disturb your sleep",
    "please i want to ask is it okay to take magnesium tablets together with my blood pressure "
    "tablet because my calf gets a small cramp sometimes in the evening after a long day at the "
    "shop and it goes after i stretch it and i am fine otherwise no weakness no swelling so i "
    "want to start the magnesium but i want to know if it is safe":
        "'cramp ... tablet' is read as twitching that began with a new medicine",
    "howzit im just checking because i get a cramp in my calf maybe once or twice a year when i "
    "wake up and stretch and it lasts like half a minute and then its gone and my legs are fine "
    "and my wife read that vitamin e helps so ja is vitamin e a real thing for cramps or not":
        "'wake ... cramp' is read as cramps that are severe or disturb your sleep",
    "good afternoon i wanted to ask about exercise and twitching i started going to the gym last "
    "week for the first time in years and my calves have been twitching a little since yesterday "
    "after i did the calf raises and i feel strong no pain no weakness so is it normal for "
    "beginners or am i doing something wrong":
        "'twitching ... years' is read as twitching that has lasted for weeks or does not stop",
    "hiya now i had a fainting spell when i was a teenager at a school assembly standing in the "
    "heat and that was thirty years ago and never since and my calves get a wee twitch sometimes "
    "after cycling so em i just have to tick boxes on these forms about fainting and i wanted to "
    "know if that old one counts":
        "'fainting' is read as fainting or passing out",
    "aye well i just had a wee question about the cramps i get them in my calf maybe once in a "
    "blue moon when i stretch in bed in the morning and they last a few seconds and then its "
    "gone and em my daughter says its because i dont drink enough water so is that right or "
    "should i be eating more bananas":
        "'blue ... calf' is read as a swollen, red, hot or discoloured calf, which can be a "
        "blood clot",
    "eish so listen my uncle the one in durban was diagnosed with als a few years back and now "
    "my calf has been twitching since monday after i did leg day at gym and my wife says im "
    "being dramatic and i probably am but i just wanted to know is als in an uncle something "
    "that runs in the family or not really":
        "'runs in the family ... als' is read as a close relative with ALS",
    "good afternoon the news about the factory closing is spreading like wildfire in our town "
    "and i have been so stressed about my job and i am not sleeping properly and i noticed my "
    "calf is twitching since yesterday just small small flickers and i think it is the stress so "
    "kindly tell me some ways to relax":
        "'spreading' is read as twitching that is spreading to other parts of the body",
    # Stop 24: rows of tuning sets 52-56 the skill gets wrong, and one of set 6 that the
    # threshold lowered to 0.65 brings over it. The reasons say what the skill reads.
    "no chest pain, no breathlessness, and my calf isn't swollen":
        "the recall model reads a sign of a swollen or painful leg together with breathing "
        "trouble, chest pain, coughing blood or fainting into it",
    "cold is spreading thru the whole office, half team sick. can a cold make calf muscle twitch "
    "after":
        "'spreading' is read as twitching that is spreading to other parts of the body",
    "the river is swollen after the rains, road closed, took 2 hours. does cold weather give "
    "cramps?":
        "'cramps ... hours' is read as a cramp that will not ease",
    "the teacher lost control of the class today, kids everywhere. i am the teacher haha. "
    "standing all day = calf cramps?":
        "'cramps ... all day' is read as a cramp that will not ease",
    "wet paint on the bench outside, be careful ppl. question: do statins cause cramps?":
        "'cramps ... statins' is read as twitching that began with a new medicine",
    "my pen leaked in my bag, ink everywhere. is twitching calf linked to low calcium":
        "'everywhere ... twitching' is read as twitching that is spreading to other parts of the "
        "body",
    "the market crash wiped my savings, i am feeling numb. can shock make the calf jump":
        "'numb' is read as new numbness",
    "my argument with my landlord was weak, i lost the case. can that stress cause cramps in "
    "legs at night":
        "'weak' is read as weakness",
    "weak tea, weak wifi, weak everything in this waiting room lol. is twitching after a flu "
    "shot normal":
        "'weak' is read as weakness",
    "tyre flat again, third time this month, wahala everywhere. can stress bring twitching":
        "'everywhere ... twitching' is read as twitching that is spreading to other parts of the "
        "body",
    "held the plank too long and my arms trembled and gave out, dropped on the mat laughing, "
    "fine. shaking is normal?":
        "'gave out' is read as weakness",
    "i wobbled getting off the boat, sea legs lol, gone after an hour. can the sea cause cramps":
        "'cramps ... an hour' is read as a cramp that will not ease",
    "My friend's mum got foot drop after her hip replacement, wore a splint for a few months and "
    "it came back.":
        "'foot drop' is read as weakness",
    "When my brother was in the army he got such bad cramps after a desert exercise that they "
    "put him on a drip.":
        "'cramps ... bad cramps' is read as cramps that are severe or disturb your sleep",
    "My dad was tested for MND and they said it wasn't that, it was a trapped nerve.":
        "'my dad ... mnd' is read as a close relative with ALS",
    "I had a big cramp in my calf during a swim this morning, it eased after a few minutes of "
    "stretching on the side of the pool. There's no swelling, no redness, and I can walk on it "
    "fine, just a bit sore like after a workout. I've been busy at work so maybe not eating "
    "well. How long does the soreness after a cramp usually last?":
        "'cramp ... walk ... eased' is read as calf pain when walking that eases at rest",
    "My dad's cousin had ALS, and now my dad's worried because his calf twitched a few times "
    "this week. He's strong as an ox, no weakness, still chopping logs. Should he be concerned "
    "about the family link or is that too distant to matter?":
        "'my dad ... als' is read as a close relative with ALS",
    "My calves felt tight and a bit heavy after standing at a wedding reception for six hours, "
    "mostly in the queue for the bar. I put my feet up, did a few stretches, and by the next "
    "morning they were fine. Is it standing still that does it more than walking?":
        "'tight ... walking ... standing still' is read as calf pain when walking that eases at "
        "rest",
    "I went for a dip at the cold lido on Sunday and afterwards I was shivering hard for about "
    "ten minutes, teeth chattering, and my calves felt tight. A hot chocolate and a warm jumper "
    "sorted it out and I was fine for the rest of the day. Is cold water known for causing "
    "cramps?":
        "'cramps ... ten minutes' is read as a cramp that will not ease",
    "I ran for the bus this morning and was puffing a bit at the top of the hill, but I got my "
    "breath back within a minute of sitting down and felt fine. Afterwards I had a little cramp "
    "in my calf that stretched out quickly. I'm trying to get fitter. Should I warm up first?":
        "'puffing ... sitting' is read as trouble breathing",
    "My wife's father had motor neurone disease and she's worried about her twitching legs.":
        "no rule of its level has these words, and the recall model is not sure of it",
    "Traffic couldn't move on the M25 this morning, I was an hour late for my shift. Is sitting "
    "in a car for long stretches bad for leg cramps?":
        "'cramps ... an hour' is read as a cramp that will not ease",
    "The bolts on my tractor have seized solid with rust, took me all morning. Are leg cramps in "
    "farmers usually from dehydration?":
        "'cramps ... all morning' is read as a cramp that will not ease",
    "My legs felt like jelly coming down Snowdon, but after a sit-down and a Welsh cake I was "
    "fine. Should I expect calf cramps tomorrow?":
        "'like jelly' is read as weakness",
    "I went wobbly and weak at the knees after giving blood, they gave me a biscuit and I was "
    "right as rain in ten minutes. Can donating blood cause cramps later?":
        "'cramps ... ten minutes' is read as a cramp that will not ease",
    "The smell of my famous jollof spread through the whole compound and the neighbours came "
    "knocking. Please, can standing long at the stove cause leg cramp?":
        "'spread' is read as twitching that is spreading to other parts of the body",
    "My one weakness is chocolate digestives, I can't walk past them in Tesco. Could too much "
    "sugar be behind my calves twitching?":
        "'can not walk' is read as weakness",
    "My hands were shaky after a night shift with no breakfast, had some toast and tea and it "
    "stopped. Can low sugar cause muscle twitches?":
        "'my hands ... twitches' is read as twitching that is spreading to other parts of the "
        "body",
    "I was breathless after carrying the shopping up four floors because the lift was broken, "
    "fine after a minute's rest. Do stairs cause calf cramps?":
        "'cramps ... stairs ... rest' is read as calf pain when walking that eases at rest",
    "My whole body jerked just as I was dropping off last night, like stepping off a kerb, then "
    "I slept fine. Is that related to calf twitching?":
        "'whole body ... jerked' is read as twitching that is spreading to other parts of the "
        "body",
    "Third call-out this week for a leaking combi boiler, I'm run ragged. Could being on my "
    "knees under sinks all day give me cramp in my calves?":
        "'cramp ... all day' is read as a cramp that will not ease",
    "My brother-in-law's a total jerk at family dinners, and he keeps telling me numbness in the "
    "leg always means something serious. Would numbness be a bad sign, generally?":
        "'numbness' is read as new numbness",
    "My foot went completely numb from sitting cross-legged on the floor at the mosque, but it "
    "came back after a minute of pins and needles. Is that normal for feet?":
        "'numb' is read as new numbness",
    "The opposition's support just collapsed in our county after the scandal broke. By the way, "
    "does eating too much sugar cause muscle twitching?":
        "'collapsed ... twitching' is read as a seizure or convulsions",
    "My toddler had a fit in the middle of the supermarket because I said no to sweets. Can "
    "carrying a screaming kid cause a calf cramp?":
        "'had a fit' is read as a seizure or convulsions",
    "My feet and ankles were swollen after the fourteen-hour flight from Manila, but they went "
    "right down overnight with my feet up. Does flying also cause leg cramps?":
        "'swollen ... ankles' is read as a swollen, red, hot or discoloured calf, which can be a "
        "blood clot",
    "Ankles swelled up in the Kuala Lumpur heat during my cousin's wedding, by next morning they "
    "were normal again. Is heat a common cause of leg cramps too?":
        "'swelled ... ankles' is read as a swollen, red, hot or discoloured calf, which can be a "
        "blood clot",
    "I can't move in this living room for toys, it's like an obstacle course. Does tripping over "
    "Lego count as a cause of calf pain?":
        "'can not move ... lego' is read as a leg that suddenly will not move or hold your "
        "weight",
    "I dropped three stitches in my grandson's jumper and had to unpick the whole row, hen. "
    "Would sitting knitting for hours on end give me cramp in my calves?":
        "'cramp ... for hours' is read as a cramp that will not ease",
    # Stop 23: rows of tuning sets 50 and 51 the skill gets wrong, and one the retrained model
    # no longer fits (Frank's sister). The reasons say what the skill reads.
    "Frank's younger sister passed from ALS four years ago, and ever since then he's "
    "jumpy about every little thing. Now his calves have been twitching for a few days. "
    "He's strong, no weakness, still playing pickleball twice a week. Is it worth having "
    "his doctor take a look because of his sister, or am I overreacting?":
        "twitching that has lasted for weeks or does not stop is heard but read as past",
    "I was on a statin in 2020 and my legs twitched a lot. The doctor swapped it and it "
    "all stopped within a fortnight. Any tips to stop that happening again if I'm put on "
    "another one?":
        "'it (twitched) ... a fortnight' is read as twitching that has lasted for weeks "
        "or does not stop",
    "After a tummy bug a few months back I had cramps for a day or two. Long over. How "
    "much water should I drink to avoid cramps?":
        "'cramps ... tummy bug' is read as cramps after heavy fluid loss, or after a "
        "dirty wound",
    "my friend said her twitching spread all over her body and it was only anxiety, is "
    "that true":
        "'all over her body ... twitching' is read as twitching that is spreading to "
        "other parts of the body",
    "My Tita said her legs went numb in church and she thought it was a stroke, but it "
    "was only from kneeling. What are the real signs of stroke po?":
        "'legs went numb' is read as weakness, numbness or sciatica in both legs",
    "My colleague told me his calf went thin after a nerve injury. How quickly does that "
    "happen to people?":
        "'calf ... thin' is read as muscle wasting, or a calf getting thinner",
    "A friend from church told me she wet herself without noticing before her back "
    "surgery. Is that common with slipped discs?":
        "'wet herself' is read as a loss of bladder or bowel control",
    "The physio told my sister that foot drop can come from sitting cross-legged too "
    "long. Is that for real?":
        "'foot drop' is read as weakness",
    "My husband's mate said he couldn't pee at all after a big night out and ended up in "
    "A&E. What causes that?":
        "'could not pee ... at all' is read as not being able to pass urine",
    "say my granny started slurring her words, do i ring an ambulance or the gp":
        "'slurring' is read as signs of a stroke",
    "I worry that one day my legs will just give way under me. Is that likely with "
    "twitching?":
        "'give way' is read as weakness",
    "Could anxiety make it feel like I can't swallow? I'm only asking in case it ever "
    "happens.":
        "'can not ... swallow' is read as trouble swallowing or speaking",
    "They said at A&E last time it was just a faint, and I've just had another one at "
    "work. I'm sitting down now and feel okay.":
        "no rule of its level has these words, and the recall model is not sure of it",
    "the signal on the farm is weak as bro chur um do calf twitches mean anything bad if "
    "i've got no numbness or weakness":
        "'weak' is read as weakness",
    "i nearly had a heart attack reading google last night um my great aunt had ALS years"
    " back and my calf's been twitching since yesterday does that mean i have it":
        "'twitching ... years' is read as twitching that has lasted for weeks or does not"
        " stop",
    "the car keeps choking when i start it in the morning needs a new plug anyway why do "
    "i get cramps in my calves when i swim":
        "'it ... choking' is read as trouble swallowing or speaking",
    "the roof's leaking again in this rain och um is it okay to take magnesium every "
    "night for cramps":
        "'cramps ... every night' is read as cramps that are severe or disturb your sleep",
    "the gist spread for the whole compound before evening abeg um does malaria drug "
    "cause leg cramp for people":
        "'cramp ... drug' is read as twitching that began with a new medicine",
    "my pal said his legs went dead after the bevvy session like he was just wasted um "
    "and he says calf twitches mean nerve damage is that right":
        "'legs ... wasted' is read as muscle wasting, or a calf getting thinner",
    "slept on my arm funny last night and woke up and it was dead like a sausage couldn't"
    " feel a thing but it came back in a couple of minutes um anyway is calf twitching "
    "normal":
        "'like a sausage ... it' is read as a swollen, red, hot or discoloured calf, "
        "which can be a blood clot",
    "my knee gave way stepping off the kerb cause i misjudged it no harm walked off fine "
    "um why do i get calf cramps running":
        "'gave way' is read as weakness",
    "nearly wet myself waiting for a loo on the long drive to galway made it in time "
    "though um do cramps come from sitting in the car for hours":
        "'cramps ... for hours' is read as a cramp that will not ease",
    "eh dropped my phone in the toilet cause my hands were wet classic la um does "
    "twitching mean low magnesium":
        "'my hands ... twitching' is read as twitching that is spreading to other parts "
        "of the body",
    "couldn't feel my toes after the ice bath at rugby training but they warmed up in ten"
    " minutes um do ice baths stop cramps":
        "'cramps ... ten minutes' is read as a cramp that will not ease",
    # Stop 23, tuning sets 48 and 49.
    'i was legless at the wedding on saturday lol, and woke with calf cramps on sunday, '
    'is alcohol a cause':
        "'woke with calf cramps' reads as cramps that break sleep; nothing says it was one night",
    "i was so tired i couldn't get my words out at the pub quiz last night, lol, slept it "
    'off. also get calf cramps':
        "'last night' makes the sign recent, and a recent sign is not over because it passed "
        "('slept it off')",
    'i came round from the anaesthetic last year a bit confused but it cleared in an hour. '
    'now just asking about cramps':
        "'an hour' of the confusion is read as the cramp's time a sentence later (the cramp "
        "rule has no reach)",
    'The printer at work has been having a seizure all morning, spitting out blank pages. Can '
    'sitting at a desk all day cause cramps?':
        "'all morning' of the printer is read as the cramp's time a sentence later",
    'My sourdough collapsed in the oven again, flat as a pancake. Any foods that help with muscle '
    'cramps?':
        "'muscle ... flat' reads as a wasted muscle across the sentences",
    "Since the breakup I'm just numb, eating ice cream and watching reruns. Is it weird that "
    'my calf twitches when I lie down?':
        "'just' starts a clause of its own, so the figure cue 'since the breakup' does not reach "
        "'numb'",
    "The love of my life just moved to Perth and I'm absolutely frozen, don't know what to do with "
    'myself. Is it normal that my calf twitches after long flights?':
        "'moved to' (Perth) and the calf's 'twitches' a sentence later are read as twitching that "
        "moved",
    'The ALS news spreading online scared me because my dad has it and my calf twitches.':
        "'news' is a thing right before 'spreading', which sets the ALS in its clause aside too",
    # Stop 23: the question is about the doctor; the brother's ALS inside it is a fact told.
    "would a doctor want to know my brother has als? he was diagnosed last year and now i'm "
    "fretting about my own twitches":
        "'would a' is a hypothetical cue to the end of its clause, and 'my brother has als' is "
        "inside it; nothing marks a fact told within a question",
    # Family history, fitted by the recall model once it learned routine signs, is left to the
    # rules (stop 22): the relative's kinship decides it, which word n-grams do not read.
    "tell them about your sister love her sister had a l s you see and now its her own calf "
    "jumping":
        "'her sister' may be anyone's sister ('my grandad had ALS and so did his brother'), so "
        "only 'her own sister' is read as the patient's",
    "Husband's calf keeps twitching and his mum died of ALS.":
        "'his mum' is ignored as someone else's parent (as 'my friend ... his mum had ALS' must "
        "be); only 'his mother' or 'his father' beside the person's own twitching is read",
    "my husband's dad died of motor neurone disease and now my husband's calves have started "
    "twitching":
        "'husband's dad' is ignored as the speaker's in-law (as 'my husband's dad had ALS, "
        "should I worry?' must be), so the husband's own family history through him is lost",
    # Stop 21: the second opinion's gate for other complaints.
    "Got bitten on the calf by a neighbour's dog two days ago, the wound was filthy, and now "
    "the muscle keeps going into cramp.":
        "no rule has its words, and it reads as another bodily complaint "
        "(symptoms.yaml: unplaced), where the second opinion stays out",
    "My girlfriend says the bit between her legs feels dead and tingly since she helped me "
    "carry the wardrobe.":
        "no rule has its words, and it reads as another bodily complaint "
        "(symptoms.yaml: unplaced), where the second opinion stays out",
    # Set 18 (the row is labelled calm; the rules and now the recall model read it as urgent).
    "my husbands arm went numb last night cos he slept on it, came back in a few minutes, he "
    "also gets a calf cramp now and then":
        "'last night' says it was lately, and a recent sign is not over because it passed: "
        "the feeling coming back is not read as the end",
    # Set 32 (stop 19).
    "A boy in my son's class had a fit at school and now my son is frightened of his own "
    "twitches":
        "'a boy in my son's class' is read as the son, someone the speaker speaks for: a person "
        "named only as 'a boy' is no one, so the son is the nearest person",
    # Sets 30-31 (stop 19).
    "My speech was a bit slurred after the dentist's injection this morning, all worn off by "
    "teatime.":
        "the dentist's injection is six words after 'speech', past a figure of speech's reach of "
        "five, and 'this morning' keeps the slurring recent, so 'all worn off' is no end",
    "My husband goes completely unresponsive when the cricket's on, lol. Anyway, is magnesium "
    "safe with his blood pressure pills?":
        "'the cricket's on' is read as a possessive ('the cricket on'), so the cue 'when the "
        "cricket is on' is not heard, and 'lol' alone is no joke cue",
    "The damp patch on the ceiling keeps spreading and so does my worry about this calf twitch":
        "'keeps' is no linking word between the damp patch and 'spreading', and 'on the "
        "ceiling' is not read as a place phrase",
    # Sets 25-26 (stop 19).
    "Drooping eyelid with twitching, should I worry? Mine doesn't droop, just wondering.":
        "the question's cue ('should I worry') comes after the sign, and a hypothetical cue "
        "reaches forward only",
    "My cousin had ALS but my parents and siblings are all fine, is it genetic?":
        "'my parents ... are all fine' is not read as a verdict across 'and siblings'",
    "Ah'm fair puggled, legs like jelly after the ceilidh last night":
        "labelled calm, but the development set's policy counts weak legs after a long walk "
        "as urgent: the rule follows the development set",
    "My calves twitch a bit in bed, been about a week. What would happen if it spread to my "
    "arms, would that be ALS? It hasn't, it's only ever been my calves, I just have a habit of "
    "catastrophising and my brain goes straight to the worst case. I'm a healthy 31-year-old "
    "with a desk job and a lot of coffee.":
        "the spreading is imagined in the second sentence and the twitching reported in the "
        "first: a pattern's deciding mention is its earliest, and vetoing by any later imagined "
        "part lost a blind set's routine report ('I started new tablets. Can they cause "
        "twitching?')",
    "Rumours about redundancies are spreading round the office and my calf hasn't stopped "
    "twitching since":
        "labelled calm, but twitching that 'hasn't stopped' is continuous, which the source "
        "article sends to a doctor: the rule follows the article",
    "My brother's argument that calf twitching comes from video games is pretty weak, isn't it?":
        "the argument is weak eleven words after 'argument': a thing's reach is its own phrase "
        "or a linking verb",
    "The share price is in freefall and I'm just numb, lol. Is it normal for my calf to flicker "
    "when I'm stressed?":
        "'I'm just numb' told of feelings: with no body part it could still be a person gone "
        "numb, and reading 'lol' as a joke would set aside real reports typed by nervous people",
    "My sourdough starter's gone weak and flat, unlike my calf, which won't stop twitching":
        "'flat' is said of the starter, and 'my calf' is four words on: within the wasting "
        "rule's reach",
    "My dad gets cramp in his calf after a long walk now and then, it goes off with a stretch.":
        "labelled calm, but a calf cramp that comes with walking and goes off is how the "
        "walking-pain rule (claudication) is told: 'after' a walk and 'during' one are not told "
        "apart",
    "The wifi dropped mid-call and my boss's face froze with his mouth hanging down on one side, "
    "hilarious. Anyway, calf twitch after the gym, normal?":
        "a frozen video call told in stroke words; 'face froze' is six words from 'one side'",
    "my mates said i was having a stroke cos i spelled everything wrong in the group chat lol. "
    "calf twitching after footy tho is that normal":
        "friends' joke about the speaker read as a report of a stroke: 'lol' is too far off",
    "The old boat's engine stalled and wouldn't respond to anything. Been bailing all morning and "
    "my calf cramped for a second.":
        "'all morning' is how long the bailing went on, read as how long the cramp lasted",
    "My bread dough won't rise, feels dead and heavy. Different note, my calf twitches when I "
    "knead for ages, is it posture?":
        "'feels dead' has the dough as its subject only through the clause before",
    "i'm on the same tablets i've been on for years nothing new and my calf just started "
    "twitching this week":
        "'for years' is how long the tablets were taken, read as how long the twitching lasted",
    "the wifi at my mum's is so weak i can barely load anything anyway what causes calf twitches":
        "'so weak' is said of the wifi past 'at my mum's': a thing's reach is its own phrase "
        "or a linking verb",
    "What foods have magnesium in them? I'd like to try diet before pills for my occasional "
    "cramps.":
        "pills not yet taken ('before pills') are read as a medicine taken with the cramps",
    "Hiya, is it statins that cause cramps or is that an old wives tale? I'm not on them, my "
    "doctor just mentioned them.":
        "the statins are denied in the next sentence through a pronoun ('I'm not on them'): "
        "pronouns are not resolved",
    "i had chest pain last year that ended up being heartburn today it's just my calf cramping":
        "spoken with no comma, 'today' shares the clause of last year's chest pain and brings "
        "it to now",
    "forgot to drink water all day at work and my calves are a bit crampy now":
        "'all day' is how long the water was forgotten, read as how long the cramp lasted",
    "sorry the screen just collapsed the menu can i ask about calf cramps again":
        "'just' starts a clause of its own, so the screen before it is not in the clause of "
        "'collapsed'",
    "this cramp was the worst thing ever it lasted like thirty seconds":
        "labelled calm, but 'the worst thing ever' is how a severe cramp is told, which the "
        "development set sends to a doctor",
    "my son's teddy has a swollen red leg where the stuffing's bunched up and he wants to know "
    "why my calf twitches":
        "'a swollen red leg' has the teddy as its subject through 'has a swollen': a thing's "
        "reach is a linking verb",
}
PREFIX_MISSES = {
    # Family history, left to the rules by the recall model (stop 22).
    "My husband's calf is twitching and his dad died of":
        "'his dad' is ignored for family history, since 'her dad' and 'his dad' are as often a "
        "friend's",
    'Son has ALS, he is 34, now I myself am':
        "the son's age as its own clause splits the family history from the speaker's twitching",
    'brother has ALS worried':
        "a relative without 'my': bare kin words would as well be a friend's ('my friend's brother"
        " has MND')",
    'sister diagnosed MND calf twitching':
        "a relative without 'my': bare kin words would as well be a friend's",
    # Sets 34-46 (stop 20).
    "In the game my little brother plays, his knight is":
        "'in the game' is no story word: a son who collapses 'on the pitch in the game' is real",
    'Thunder Wave paralysed my Pikachu again.':
        "a game's creature named by its own name is no story word, and 'my Pikachu' reads as the "
        "speaker's",
    'The calf on our farm, the baby cow I mean, is weak':
        "'the calf' is read as a body part first; the correction 'the baby cow I mean' comes after",
    "I'm 79 and my garden's gone wild, weeds spreading":
        "'weeds spreading everywhere' has the thing before 'spreading', but 'everywhere' alone is "
        'a spreading phrase',
    'My soufflé collapsed the second I opened the oven.':
        "'soufflé' loses its accent as 'souffl', so the thing is not heard",
    "Our parrot keeps squawking 'I can't breathe'":
        "a quotation inside the message is read as the speaker's own words",
    'The drummer had a fit at the sound guy mid-set.':
        "'had a fit at' a person is anger, but only 'had a fit at him/her/me' is a figure cue: "
        "'had a fit at school' is a seizure",
    'This heat has paralysed the trains.':
        "the thing ('the trains') comes after the sign, as its object",
    'Grouting the bathroom on my knees for hours and the':
        "'for hours' of grouting is read as the cramp's time, a sentence away; the cramp rule "
        "has no reach (a reach of 14 words fixed this row but cost nine tuning rows' long cramps)",
    'Traffic was at a total standstill, the whole city':
        "'the whole city paralysed' has no verb, so the city is not read as its subject",
    'The shelf I put up collapsed overnight.':
        "'the shelf I put up' has a relative clause between the thing and the sign",
    "The mower's engine is weak and spluttering":
        "'the mower's engine' is one thing named by two words the rules read apart",
    "Husband's leg went numb from sitting cross-legged":
        "'came back after a minute' is read as a sign coming back",
    'Watching a hospital drama with my wife and a':
        'the wife named after the story cue is read as someone with the speaker, to whom it may '
        'happen',
    'My father-in-law is staying with us. Years back he':
        "'off the tablets' with twitching is read as a medicine started",
    'could the twiching spread to my arms?':
        "a question with 'my arms' in it is not a general one, and 'could the' is no hypothetical "
        'cue',
    'my brother in laws mum has als':
        "'brother in laws mum' without the apostrophe is read as the brother",
    'my toy robots arm is weak and drooping':
        "'robots arm' without the apostrophe is read as an arm",
    "I've spread myself way too thin this term, two":
        "'thin' of 'spread myself too thin' and 'muscle' of the next sentence are joined as "
        'wasting',
    'Out cold for ten hours straight after the night':
        "'out cold' of sleep is told as of fainting: only the hours and the shift say sleep",
    'I laughed so hard at that stand-up show I was':
        "'laughed so hard' is a figure cue, but it reaches only a few words, not 'convulsing in my"
        " seat' after 'I was crying and'",
    'Wahala everywhere this week, NEPA took light':
        "'I nearly collapse' without the past tense is no figure cue ('nearly collapsed' is)",
    'Wee bit mortified, fell asleep in the cinema':
        "'wee bit' is Scots for 'a little', and 'woke up with my calf twitching' joins it",
    'Could a twitch in my calf end up spreading to other':
        "'end up' is a modal cue, but 'could a twitch in my calf' before it is read as told",
    'Legs were like jelly after squats yesterday, back':
        "'back to normal this morning' after the sign is not read as resolved there",
    'Voice went hoarse after shouting at the match on':
        "'it's back now' is read as confirming ('it's back'), though here the voice is back",
    "Couldn't open the pickle jar, but neither could":
        "'neither could anyone else' explains it, but no cue reads an explanation by other people",
    'Been digging the veg beds all day getting the':
        "a long message: 'every spring the same' and 'I'll be right' are no resolved or habitual "
        'cues',
    "My toddler wet the bed last night, he's three":
        "a toddler's accidents are ordinary, but age is not read",
    'My husband sticks his tongue out the side when':
        "'always has, it's a family joke' is no habitual cue the rules read",
    "Mum can't walk as far as she did at 60, she's 88":
        "'the same for years' is read after the sign, and 'can't walk as far' is read as new "
        'weakness',
    "My voice is croaky in the mornings till I've had":
        "'always been that way' is a habitual cue, but it comes after the sign, out of its forward"
        ' reach',
    'Could the twitching spread to my arms later on, or':
        "'later on' comes after the sign, and a hypothetical cue reaches only forward",
    'I keep reading that weakness is the thing to watch':
        "'keep reading that' is no hearsay cue before the sign, and the denial comes a sentence "
        'later',
    "I had my gallbladder out in March and I'm all healed.":
        "'the anaesthetic' and 'started twitching' are read as a medicine started",
    "Tomorrow's my first day on a new tablet. Will it":
        "'tomorrow's my first day on' is no future cue for the tablet",
    "I'm afraid that one day the twitch will turn into":
        "'Not now, it's just a fear I have' is read as confirming with 'I have'",
    "Say I woke up and my leg wouldn't move, would I":
        "'say I woke up' imagines, but its scope ends at 'and'",
    'At ten I choked on a fishbone and it was scary, but':
        "'at ten' is an age, not a time of day, and 'fine for forty years' is no resolved cue "
        "after 'swallowing's been'",
    'My husband keeps saying my twitching will spread to':
        "'will spread' is future, but a bare 'will' before a sign is no cue: 'it will not hold me'"
        ' is a present sign',
    'I had a chest infection in the spring, cleared with':
        'an antibiotic for an illness that is over is read as a medicine started',
    'son has ALS now my calf flickers':
        "a relative without 'my': bare kin words would as well be a friend's",
    'swollen calf means clot?':
        'a fragment question with no question word is read as told',
    'ankles swollen? nope fine':
        "an answer to one's own question ('nope fine') is no negation the rules read",
    'Someone on a Facebook group claims her twitching':
        "'someone on a Facebook group' is no story word, and 'claims' comes after the someone it "
        'reports',
    "My smile's been lopsided in every photo since":
        "'since primary school' is a lifelong state, but 'since' with a time reads as ongoing",
    'Carried the shopping up two flights and put the':
        "'without stopping' and 'legs are fine' say the walk is easy; the claudication rule hears "
        'walking and stopping',
    'I only get cramps after hours on the bike, and a':
        "long sweaty rides are read as fluid loss; 'a stretch sorts it' is an ordinary cramp",
    "My calf looked swollen in a photo but it's just":
        "'it's just the angle' explains it, but an explanation as a plain cause is not read",
    'uh the phone signal out here is weak':
        "'out here' between the thing and its state hides the thing as the subject",
    "my son's toy robot's leg won't move":
        "a chain of possessives: the leg is the robot's, the robot the son's",
    'My friend from hostel tell me twitching can':
        "'tell me' without the third person's -s is no hearsay cue; 'can' asks",
    'If calf is swelling, that means blood clot or not?':
        "an 'if' without a person is read as told; 'or not?' asks after it",
    "My friend's father had seizure before, does":
        "'had seizure' without 'a' is past, but 'before' alone is no past-time word here",
    'Numb feeling is not there, I check with pin':
        "'is not there' after the sign denies it; only 'not' before a sign or a verdict after it "
        'is read',
    'Power cut again in our area so we run the old':
        "'the old generator' has a word between the article and the thing, so no thing is heard, "
        "and 'it' after it is read as a person",
    "My father's cousin had motor neurone":
        "a chain of relatives: 'father's cousin' is read as the father",
    'During puja I sat cross-leg long time, foot went':
        "'it was normal again' after the sign is no resolved cue ('normal again' alone)",
    'Our chest freezer started leaking all over the':
        "'chest freezer' is a thing, but 'chest' still starts the leaking sign's search",
    'Lambing shed was wet and freezing all night.':
        "'calf cramps' and 'all night' are two sentences apart, and the cramp rule has no reach "
        "(a reach of 14 words fixed this row but cost nine tuning rows' long cramps)",
    'Spread six barrows of compost on the veg beds':
        "'spread' with a number and a load as its object is no spreading, and only named loads are"
        ' ignored',
    'My toddler wet himself at the park again, potty':
        "a toddler's accidents are ordinary, but age is not read",
    'Coach says my backhand stroke is weak.':
        "'backhand stroke' is a thing before 'is weak', but the saying 'coach says' is not read as"
        ' hearsay of a body',
    'Monsoon has started in Mumbai and the roads are':
        "'roads are flooded' and 'walking everywhere' are read as a spreading sign",
    "Parrot keeps squawking 'help, I've collapsed!'":
        "a quotation inside the message is read as the speaker's own words",
    "Had epilepsy as a kid, haven't had a single":
        "'off the meds' with 'twitches' is read as a medicine started",
    'My riding instructor says my lower leg is weak in':
        "'weak in the saddle' is a riding fault; the instructor's saying is about the speaker, so "
        'it counts',
    'Gave way at the roundabout like a good driver':
        "'gave way' to traffic is a driving phrase; 'at the roundabout' is not read",
    'GP said my vitamin D is low and I start the':
        "'start the tablets tomorrow' is read as a medicine started",
    # Set 33 (stop 19).
    "Hi, I am working from home these days and sitting":
        "a colleague's cousin's twitching that spread is told by 'her cousin' after 'told me', and"
        " a third party's sign after a saying is only set aside when named before the sign",
    "Good afternoon, I just had my second baby three months":
        "'carrying baby everywhere' reads as someone carried; the legs being strong is said after "
        "the swelling it denies",
    "Every day my cousin forwards me WhatsApp messages saying twitching":
        "'every day' comes before the saying, and a pattern's earliest part decides: the twitching"
        " inside the messages is not what decides",
    "The news that a big supermarket is opening down the":
        "'my takings are already weak' is read as the speaker weak: 'takings' is named after 'my',"
        " and a thing's owner is only read right before it",
    "One guy at my gym said if your calf twitches":
        "'I don't have weakness, numbness, nothing' ends its list with 'nothing', not 'or', so the"
        " negation does not reach 'numbness' across the comma",
    "My husband made the coffee this morning and it was":
        "'it was so weak' has the coffee as its subject through 'it', and only a symptom is a "
        "referent",
    "My partner Chloe is 30 weeks pregnant and she's been":
        "'30 weeks pregnant' is read as thirty weeks of twitching: a duration belongs to the "
        "nearest verb's subject only by reach",
    "My putting's gone to pieces, I've got the yips so":
        "'convulse' is five words past 'the yips', at the edge of a figure of speech's reach, and "
        "'practically' is read past",
    # Sets 27-29 (stop 19).
    "Chest infection cleared up last month with antibiotics, the":
        "the antibiotics' course is over ('cleared up last month'), but the twitching of the next "
        "sentence is paired with them across sentences: the medicine rule has no reach",
    "I'm 82 and the frost got my dahlias last":
        "'they've collapsed' has the dahlias as its subject through 'they', and only a symptom is "
        "a referent",
    "My brother reckons if twitching spreads it means ALS.":
        "the brother is named before 'reckons', and a pattern's earliest part decides: ALS inside "
        "the hearsay is not what decides",
    "My calf looked swollen in the holiday photo but":
        "'in the holiday photo' comes after the sign it appraises, and an appraisal must come "
        "before",
    # Sets 23-24 (stop 19).
    "I thought the left side of my face was":
        "'Then I realised' is as often a discovery ('then I realised my arm was weak') as an "
        "explanation, so it is no explanation cue",
    "My foot went completely numb at the cinema. I'd":
        "an explanation told as a plain cause ('I'd had it tucked under my bum') carries no "
        "explanation cue, and only an appraisal followed by one ('turned out', 'mystery solved') "
        "sets a sign aside; and 'bum' near 'numb' reads as the saddle area",
    "I was sure my hand had gone weak because":
        "an explanation told as a plain cause (others could not shift the lid either) carries no "
        "explanation cue, and only an appraisal followed by one ('turned out', 'mystery solved') "
        "sets a sign aside",
    "Listened back to a voice note and my words":
        "'sounded' is no appraisal (it would need an explanation to be read so), though 'Then I "
        "remembered' is an explanation cue",
    "My right calf looked swollen with red rings round":
        "'looked' alone is no appraisal, so 'It was just the marks' explains nothing",
    "Me nan shouted that my smile looked crooked. Turns":
        "a relative's shout is no appraisal of the speaker's own, and 'looked' alone is none",
    "Thought I had a stinging pain on my chest":
        "an explanation told as a plain cause ('It was a chafed patch') carries no explanation "
        "cue, and only an appraisal followed by one ('turned out', 'mystery solved') sets a sign "
        "aside; 'it was a' could as well name something worse",
    "In the bath I saw what looked like my":
        "an explanation told as a plain cause ('It was the water from the tap') carries no "
        "explanation cue, and only an appraisal followed by one ('turned out', 'mystery solved') "
        "sets a sign aside; 'it was the' could as well name something worse",
    "My son said his legs felt like jelly after":
        "an explanation told as a plain cause (forty burpees and no lunch) carries no explanation "
        "cue, and only an appraisal followed by one ('turned out', 'mystery solved') sets a sign "
        "aside",
    "When I stood up from the sofa it felt":
        "an explanation told as a plain cause ('It had gone to sleep from sitting cross-legged') "
        "carries no explanation cue, and only an appraisal followed by one ('turned out', 'mystery"
        " solved') sets a sign aside",
    "I spotted a thin dent across my calf and":
        "'and thought, that's muscle wasting' puts the appraisal after the sign, and the "
        "explanation is a plain cause",
    "Ankle looked puffy this morning and I worried about":
        "'worried about a clot' comes after the sign it appraises, and 'Then I remembered' only "
        "explains a sign after an appraisal",
    "Something was flickering under my eye and I thought":
        "an explanation told as a plain cause ('It was an eyelash') carries no explanation cue, "
        "and only an appraisal followed by one ('turned out', 'mystery solved') sets a sign aside;"
        " and the eyelash 'stuck' reads as food sticking through 'it'",
    "Woke up in a puddle and thought I'd wet":
        "an explanation told as a plain cause ('The hot water bottle had split') carries no "
        "explanation cue, and only an appraisal followed by one ('turned out', 'mystery solved') "
        "sets a sign aside",
    "Tried going up on tiptoe in the shower and":
        "'not weak' denies a word the report never used: the tiptoe sign stays, and 'slipping' is "
        "no explanation cue",
    "I thought I'd lost the sight in my left":
        "an explanation told as a plain cause ('My contact lens had slid up') carries no "
        "explanation cue, and only an appraisal followed by one ('turned out', 'mystery solved') "
        "sets a sign aside",
    "My wife said my mouth was drooping on one":
        "a relative's words about the speaker are a report, and holding a toffee is a plain cause "
        "with no explanation cue",
    "Thought the twitching had moved into my back. It":
        "an explanation told as a plain cause ('It was the massage chair') carries no explanation "
        "cue, and only an appraisal followed by one ('turned out', 'mystery solved') sets a sign "
        "aside; 'it was the' could as well name something worse",
    "Got breathless on the hill and thought the worst.":
        "'thought the worst' comes after the sign, and 'Then I noticed' is a discovery as often as"
        " an explanation",
    "Grandad went stiff in his chair and I thought":
        "the appraisal ('I thought he was having a seizure') comes after 'went stiff', and the "
        "stretch is a plain cause",
    "My calf had gone hot and red. I'd been":
        "an explanation told as a plain cause (sitting by the fan heater) carries no explanation "
        "cue, and only an appraisal followed by one ('turned out', 'mystery solved') sets a sign "
        "aside; and 'back to its usual colour' ends the sentence",
    "I was sure my leg was swollen because my":
        "an explanation told as a plain cause (a hot wash shrank the jeans) carries no explanation"
        " cue, and only an appraisal followed by one ('turned out', 'mystery solved') sets a sign "
        "aside",
    "My words came out all jumbled reading to the":
        "an explanation told as a plain cause (the Welsh edition of the book) carries no "
        "explanation cue, and only an appraisal followed by one ('turned out', 'mystery solved') "
        "sets a sign aside, and it has no appraisal before it",
    "Thought I'd passed out. Just dozed off after nights.":
        "a faint is an episode, so being fine after it is no end, and 'dozed off' is no "
        "explanation cue",
    "I thought I couldn't swallow properly at dinner. It":
        "an explanation told as a plain cause ('It was a fishbone') carries no explanation cue, "
        "and only an appraisal followed by one ('turned out', 'mystery solved') sets a sign aside;"
        " 'it was a' could as well name something worse",
    "My shin went sort of numb in the bathroom.":
        "an explanation told as a plain cause (resting the shin on the bath's edge) carries no "
        "explanation cue, and only an appraisal followed by one ('turned out', 'mystery solved') "
        "sets a sign aside; 'Feeling was back' ends the last sentence",
    "In the shop mirror one of my calves looked":
        "an explanation told as a plain cause ('It was one of those funny slimming mirrors') "
        "carries no explanation cue, and only an appraisal followed by one ('turned out', 'mystery"
        " solved') sets a sign aside",
    "My hand went numb this afternoon. I'd been using":
        "an explanation told as a plain cause (the hedge trimmer's buzz) carries no explanation "
        "cue, and only an appraisal followed by one ('turned out', 'mystery solved') sets a sign "
        "aside; and 'this afternoon' keeps it recent",
    "My calf went rock hard with a cramp after":
        "'it let go within a minute' is told in the next sentence but not at its start, where an "
        "end is read as said of what came before",
    "I reckoned my arm had gone weak because I":
        "'Then I read the label' is no explanation cue: reading is a discovery as often as an "
        "explanation",
    "Thought my tongue was twitching, I could feel it":
        "an explanation told as a plain cause ('It was popping candy') carries no explanation cue,"
        " and only an appraisal followed by one ('turned out', 'mystery solved') sets a sign aside",
    "We've got goats, the fainting kind. One got startled":
        "'One' stands for a goat named in the sentence before, and only a he or she carries an "
        "animal across a sentence",
    "I'm writing a novel and my main character, a":
        "the story's signs are told in the next sentence, and a story's reach is its own sentence "
        "(across sentences, 'he' may be someone with the speaker)",
    "Pipe burst upstairs and the ceiling in the living":
        "'then swollen' has the ceiling as its subject across commas, and 'then it collapsed' "
        "reads 'it' as a leg through the clot rule",
    "In biology we put electrodes on a frog's leg":
        "'Half the class nearly fainted' and the frog's twitch are read as a faint with twitching:"
        " the class are people, and nearly fainting is read as fainting by the seizure rule",
    "Watched the boxing last night and the challenger's legs":
        "a boxer on the screen: watching a match is no story cue, because people watch matches "
        "with someone who then really collapses",
    "I played Juliet's nurse at school and had to":
        "fainting acted on stage: a play is no story cue, because people collapse for real at "
        "plays",
    "At work the scaffolding on site has a weak":
        "'A section collapsed' has no 'the' or owner before the thing, so it is not read as the "
        "subject",
    "Cricket was a shambles, the pitch was wet and":
        "'had a fit in the dressing room' of a skipper's anger: no cue says it was temper",
    "My son played a zombie in the school play,":
        "a zombie acted in a school play: a play is no story cue, because children collapse for "
        "real at school plays",
    "The bees in my second hive are weak after":
        "'in my second hive' names the speaker between the bees and 'weak': an owner after an "
        "animal is read as the speaker",
    "The dam at the reservoir was leaking and the":
        "'the water spread over the road' reads as spreading: water is no thing in the list",
    "Right, so I drove from Cork up to Belfast":
        "a numb backside after a long drive reads as saddle numbness; 'It all came back' is late "
        "in a long sentence",
    "my face dropped when i saw my exam results":
        "labelled calm, but a calf that 'won't stop twitching' is continuous twitching, which the "
        "source article sends to a doctor",
    # Sets 20-22 (stop 19).
    "I'm a vet, so I see twitching and collapse in dogs all the time":
        "'all the time' is how often the vet sees twitching in dogs, read as how long the "
        "speaker's own twitching lasts: a duration belongs to the nearest verb's subject only "
        "by reach",
    "My foot went numb for a few seconds this morning because I was sitting on it.":
        "the cause ('because I was sitting on it') is not read as an end, and 'this morning' "
        "keeps the numbness recent",
    "After spin class I told my wife my calves had gone weak. She laughed":
        "the explanation ('it was just jelly legs') is told in the middle of the next sentence, "
        "past the start where an end is said of what came before",
    "My husband thought I was having a seizure in my sleep.":
        "the husband's fear, then the film showing a sleep jerk: 'one big jerk' explaining the "
        "seizure away is not read",
    "I said my foot was numb earlier.":
        "'it was fine in a minute' ends the next sentence: an end is said of what came before "
        "only at a sentence's start",
    "I thought my face was drooping. It was the warped mirror":
        "'It was the warped mirror' explains the drooping away by naming a thing, which is not "
        "read as an end ('it was the stroke' would be the opposite)",
    "Felt a tightness round my chest earlier, then realised it was the new sports bra":
        "'realised it was' could as well name something worse ('realised it was a stroke'), so "
        "it is no end cue",
    "My wee girl's leg looked like it gave way. No, she'd just tripped":
        "'looked like it' is a hedge, and the answer 'No, she'd just tripped' is not read as a "
        "denial of the sentence before",
    "I'm a midwife, so at work it's all waters leaking and swollen ankles.":
        "swollen ankles of the people a midwife cares for at work, told of no one in "
        "particular: 'at work' is not read as other people",
    "The toddler wet the bed again, we're in the middle of potty training":
        "labelled calm as a toddler learning; a child wetting the bed counts as a loss of "
        "control elsewhere, and 'potty training' is not read as its reason",
    "A man on my train collapsed last week and people did CPR":
        "a stranger's collapse last week, told as a memory: 'last week' is recent for a faint, "
        "and a stranger is read as someone the speaker is with",
    "Wedding tomorrow and my new shoes were so tight my toes went numb at the fitting":
        "a minute's numbness from tight shoes: 'for a minute' and the shoes are not read as a "
        "harmless cause",
    "I've been having calf twitching for about three weeks and I'm a bit of a worrier":
        "labelled calm, but the development set and tuning sets 1-8 count calf twitching for "
        "three weeks or more as routine (see a doctor if twitching persists): the rule "
        "follows them",
    "Last spring I had a really bad patch where my calf cramped every night":
        "a long story: the past cramps and a present 'occasional twitch' two sentences on are "
        "joined by the medication and persistent-twitching rules",
}


def _known_miss(text: str) -> str | None:
    return KNOWN_MISSES.get(text) or next(
        (why for start, why in PREFIX_MISSES.items() if text.startswith(start)), None)


def _tuning_params() -> list:
    params = []
    for name in TUNING_SETS:
        for number, row in enumerate(rows(name), 1):
            why = _known_miss(row["text"])
            marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
            params.append(pytest.param(row, marks=marks, id=f"{name}:{number}"))
    return params


@pytest.mark.parametrize("row", _tuning_params())
def test_tuning_row_is_judged_right(skill: Skill, row: dict) -> None:
    got = skill.decide(row["text"]).escalation
    assert judged_right(row["escalation"], got), f"want {row['escalation']}, got {got}"


def test_every_known_miss_is_in_a_tuning_set() -> None:
    texts = [row["text"] for name in TUNING_SETS for row in rows(name)]
    assert all(text in texts for text in KNOWN_MISSES)
    assert all(any(t.startswith(start) for t in texts) for start in PREFIX_MISSES)


@dataclass(frozen=True)
class Tally:
    """Per level, how many rows there are and how many were judged wrong; intent right."""

    total: dict[str, int]
    wrong: dict[str, int]
    intent_right: int
    intent_asked: int


def tally(skill: Skill, name: str) -> Tally:
    total = dict.fromkeys(LEVELS, 0)
    wrong = dict.fromkeys(LEVELS, 0)
    right = asked = 0
    for row in rows(name):
        reply = skill.respond(Conversation(), row["text"]).answered  # what `ask --json` prints
        want = row["escalation"]
        total[want] += 1
        wrong[want] += not judged_right(want, reply.escalation)
        if row["intents"] is not None:
            asked += 1
            right += reply.intent in row["intents"] if row["intents"] else reply.intent is None
    return Tally(total, wrong, right, asked)


# Per set: the most rows each level may get wrong (today's measurement). Targets: emergency 0,
# urgent <= 2%, routine <= 10%, none (false alarms) <= 5%.
HELD_OUT_LIMITS = {
    # 258 rows: 56 emergency, 65 urgent, 40 routine, 97 calm. Before this work: 24, 21, 7, 39.
    # After the sixth tuning set: 1 emergency (was 2). After the eighth: 1 false alarm (was 2).
    # After the fifteenth round (on sets 13 and 14): 0 false alarms.
    # After stop 21 (the recall model, nlu/recall.py): 0, 1, 0, 1.
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 0, 1, 0, 1.
    "heldout_safety.jsonl": {"emergency": 0, "urgent": 1, "routine": 0, "none": 1},
    # 240 rows, written blind after tuning began: 47, 55, 36, 102. Before: 13, 18, 5, 39.
    # After the eighth tuning set: 4 false alarms (was 5). After the twelfth round (on set 11):
    # 2 emergencies (was 3). After the thirteenth (on set 12): 0 routine, 3 false alarms.
    # After the sixteenth (on set 15): 2 false alarms.
    # After stop 21 (the recall model, nlu/recall.py): 0, 0, 0, 2.
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 1, 0, 0, 2.
    # The emergency lost: stop 21's model gave it 0.704, this one 0.62; it is escalated as urgent.
    # After stop 23 (tuning sets 47-51, cues and rules from them, retrained): 0, 0, 0, 0.
    "heldout_safety_b.jsonl": {"emergency": 0, "urgent": 0, "routine": 0, "none": 0},
    # 250 rows, written blind after the ninth tuning set: 54, 58, 34, 104. Fresh: 7, 7, 2, 2;
    # after the tenth tuning set: 6, 7, 2, 2. Blind until then; its misses were then read and
    # fixed (no longer blind): 0, 0, 0, 0.
    # After stop 21 (the recall model, nlu/recall.py): 0, 0, 0, 2.
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 0, 0, 0, 1.
    "heldout_safety_c.jsonl": {"emergency": 0, "urgent": 0, "routine": 0, "none": 1},
    # 183 real-sounding posts labelled with intents: 3, 4, 4, 172. Before: 1, 0, 1, 9.
    # 224 rows, blind (totals only), written after ten tuning rounds: 51, 55, 30, 88. Fresh:
    # 1, 6, 2, 2; after round eleven (on C): 1, 6, 2, 1; after round fifteen: 1, 6, 1, 1;
    # after round sixteen: 1, 5, 1, 1; after seventeen (on sets 16 and 17): 1, 3, 1, 1; after
    # eighteen (on set 19): 1, 3, 0, 1; after nineteen (on set 18): the same.
    # After stop 20 (sets 34-46): 0, 3, 0, 1.
    # After stop 21 (the recall model, nlu/recall.py): 0, 0, 0, 2.
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 0, 0, 0, 1.
    "heldout_safety_d.jsonl": {"emergency": 0, "urgent": 0, "routine": 0, "none": 1},
    "heldout_posts.jsonl": {"emergency": 0, "urgent": 0, "routine": 0, "none": 2},
    # 200 rows, blind (totals only), written after thirteen tuning rounds by 25 invented
    # personas, 8 messages each: 52, 51, 30, 67. Fresh: 9, 11, 5, 6 (other people's
    # emergencies 7 of 31). Far from the targets; kept blind to measure the next rounds.
    # After rounds fourteen and fifteen (on sets 14 and 13, written blind): 7, 10, 4, 6; after
    # sixteen (on set 15): 7, 10, 4, 5; after seventeen (on sets 16 and 17), eighteen (on set 19)
    # and nineteen (on set 18): the same. After stop 19 (sets 20-33): 7, 9, 3, 5. After stop 20
    # (sets 34-46): 6, 9, 3, 5.
    # After stop 21 (the recall model, nlu/recall.py): 3, 1, 3, 5.
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 3, 1, 2, 5.
    # After stop 24 (sets 52-59, cues, rules, checks, retrained, threshold 0.65): 2, 1, 2, 4.
    "heldout_safety_e.jsonl": {"emergency": 2, "urgent": 1, "routine": 2, "none": 4},
    # Four sets of 240 rows written blind in stop 19 by helpers given only the labelling policy
    # (40 invented writers each), measured at the stop's start (de52950) and at its end.
    # F, written first: 60, 60, 35, 85. Start: 4, 8, 5, 7. Two rows' decisions (not their
    # text) were read to find a new mechanism that had broken them; fixed the general way.
    # End of stop 19: 4, 6, 2, 6. After stop 20: 4, 2, 2, 6.
    # After stop 21 (the recall model, nlu/recall.py): 0, 1, 2, 8.
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 0, 1, 0, 8.
    # After stop 24 (sets 52-59, cues, rules, checks, retrained, threshold 0.65): 0, 1, 0, 7.
    "heldout_safety_f.jsonl": {"emergency": 0, "urgent": 1, "routine": 0, "none": 7},
    # G, written after sets 20-24: 60, 60, 35, 85. Start: 6, 12, 7, 18. Never opened.
    # End of stop 19: 4, 6, 7, 13. After stop 20: 3, 5, 7, 13.
    # After stop 21 (the recall model, nlu/recall.py): 0, 1, 7, 13.
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 0, 1, 4, 13.
    # After stop 23 (tuning sets 47-51, cues and rules from them, retrained): 0, 1, 4, 11.
    # After stop 24 (sets 52-59, cues, rules, checks, retrained, threshold 0.65): 0, 0, 4, 12.
    "heldout_safety_g.jsonl": {"emergency": 0, "urgent": 0, "routine": 4, "none": 12},
    # H, written after sets 25-26: 60, 60, 35, 85. Start: 8, 12, 10, 9. Never opened.
    # End of stop 19: 8, 7, 8, 8. After stop 20: 8, 7, 6, 8.
    # After stop 21 (the recall model, nlu/recall.py): 2, 1, 6, 9.
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 1, 1, 3, 9.
    # After stop 23 (tuning sets 47-51, cues and rules from them, retrained): 1, 1, 4, 9.
    "heldout_safety_h.jsonl": {"emergency": 1, "urgent": 1, "routine": 4, "none": 9},
    # I, written after sets 27-31: 60, 60, 36, 84. Start: 6, 8, 6, 14. Never opened.
    # End of stop 19: 4, 7, 6, 9. After stop 20: 4, 5, 6, 9.
    # After stop 21 (the recall model, nlu/recall.py): 0, 0, 6, 10.
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 0, 0, 4, 9.
    # After stop 24 (sets 52-59, cues, rules, checks, retrained, threshold 0.65): 0, 0, 3, 8.
    "heldout_safety_i.jsonl": {"emergency": 0, "urgent": 0, "routine": 3, "none": 8},
    # Two sets of 240 rows written blind in stop 20 by two helpers given the same brief (a
    # general mix, 40 invented writers), measured at the stop's start (eb70364, the code of
    # 8cada64) and after each tuning round. Never opened: only totals and class totals read.
    # J: 60, 62, 34, 84. Start: 5, 3, 3, 11. End: 5, 2, 3, 10. One row's decision (not its
    # text) was read when a new spreading pattern broke it; the pattern was narrowed.
    # After stop 21 (the recall model, nlu/recall.py): 1, 0, 3, 10.
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 1, 0, 1, 10.
    # After stop 23 (tuning sets 47-51, cues and rules from them, retrained): 1, 0, 2, 10.
    # After stop 24 (sets 52-59, cues, rules, checks, retrained, threshold 0.65): 1, 0, 1, 9.
    "heldout_safety_j.jsonl": {"emergency": 1, "urgent": 0, "routine": 1, "none": 9},
    # K: 60, 60, 35, 85. Start: 9, 7, 3, 13. End: 9, 6, 3, 13.
    # After stop 21 (the recall model, nlu/recall.py): 2, 1, 3, 13.
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 2, 2, 0, 13.
    # The urgent row lost: stop 21's model gave it 0.700, just at its threshold; this one 0.43.
    # After stop 23 (tuning sets 47-51, cues and rules from them, retrained): 2, 3, 0, 12.
    # After stop 24 (sets 52-59, cues, rules, checks, retrained, threshold 0.65): 2, 2, 0, 12.
    "heldout_safety_k.jsonl": {"emergency": 2, "urgent": 2, "routine": 0, "none": 12},
    # L, written blind in stop 22 by a helper given the labelling policy and a new style: what
    # people said aloud, as a careful transcriber types it (lowercase, fillers, false starts,
    # self-corrections; 20% long with the sign buried), by speakers of many Englishes: 60, 60,
    # 35, 85. Fresh, at the code of stop 21: 6, 1, 2, 3 (the rules alone: 8, 4, 2, 3). Never
    # opened: only totals and class totals read (the six emergencies missed: three buried in
    # long messages, one indirect, one mis-said, one beside a hypothetical).
    # After stop 22 (routine signs learned, three seeds averaged, the likeliest level): 5, 1, 1, 3.
    # After stop 23 (tuning sets 47-51, cues and rules from them, retrained): 4, 1, 1, 2.
    # After stop 24 (sets 52-59, cues, rules, checks, retrained, threshold 0.65): 2, 1, 1, 2.
    "heldout_safety_l.jsonl": {"emergency": 2, "urgent": 1, "routine": 1, "none": 2},
    # 40 rows I wrote in stop 22, when the first model that learned routine signs read "my calf
    # has been twitching for a few days" as routine: twitching for days (25 calm) and for weeks
    # or months, a new medicine, cramps at night, walking pain (15 routine). Written before the
    # fix and never tuned on (the calm examples added to persistent_twitching are other
    # sentences). Routine missed, false alarms: rules alone 1, 0; stop 21's model 1, 2; the
    # first routine model 0, 5; with the calm examples (stop 22's model): 1, 1.
    # The false alarm added is the model's, retrained on sets 52-59 and at the lower threshold.
    # After stop 24 (sets 52-59, cues, rules, checks, retrained, threshold 0.65): 0, 0, 0, 2.
    "heldout_own_durations.jsonl": {"emergency": 0, "urgent": 0, "routine": 0, "none": 2},
    # 240 rows written blind in stop 23 by a helper given only the labelling policy: typed words
    # that mislead, red-flag words used harmlessly (figures of speech, past episodes told with
    # many time words, hearsay, hypotheticals, negations) beside genuine signs told with the
    # same words or none of the usual ones. 60 emergency, 50 urgent, 30 routine, 100 calm.
    # Fresh at stop 22's code: 2, 2, 1, 15 (rules alone 3, 4, 3, 14).
    # After stop 23 (tuning sets 47-51, cues and rules from them, retrained): 1, 2, 1, 12.
    # After stop 24 (sets 52-59, cues, rules, checks, retrained, threshold 0.65): 1, 1, 1, 11.
    "heldout_safety_m.jsonl": {"emergency": 1, "urgent": 1, "routine": 1, "none": 11},
    # 240 rows written blind in stop 24 by a helper given only the labelling policy: who has it
    # and when, in messages that name several people (the speaker, someone cared for, people
    # told of, people on the telly) with a sign now in some and a past, told or imagined one in
    # others. 60 emergency, 50 urgent, 30 routine, 100 calm. Only totals read.
    # Fresh at stop 23's code: 1, 1, 0, 8 (rules alone 4, 2, 0, 8).
    # After stop 24 (sets 52-59, cues, rules, checks, retrained, threshold 0.65): 2, 1, 0, 5
    # (rules alone 3, 1, 0, 5). Each retraining moves a row or two here and on E: one rule
    # example more took an emergency of each under the threshold and two false alarms off N.
    "heldout_safety_n.jsonl": {"emergency": 2, "urgent": 1, "routine": 0, "none": 5},
}
INTENT_FLOOR = {"heldout_posts.jsonl": 0.9}
"""Intent accuracy on the held-out posts: 0.911 today (0.906 before); the target is 0.85."""


@pytest.mark.parametrize("name", HELD_OUT_LIMITS)
def test_held_out_set_loses_no_ground(skill: Skill, name: str) -> None:
    result = tally(skill, name)
    for level, most in HELD_OUT_LIMITS[name].items():
        assert result.wrong[level] <= most, \
            f"{name}: {result.wrong[level]} of {result.total[level]} {level} rows wrong"
    if name in INTENT_FLOOR:
        assert result.intent_right / result.intent_asked >= INTENT_FLOOR[name]


# Held-out rows whose words the content already had before the set was written: the source
# article's own FAQ questions, which real people ask in the same words, and a few short rule
# examples older than the sets (first commits 5a839de, 7f40433, eae4ef9, 6f99f4a).
OLDER_IN_CONTENT = {
    "fainted once as a teenager at a concert", "is twitching a symptom of ms?",
    "what is restless legs syndrome", "what does fluttering in the legs mean?",
    "what is degenerative scoliosis", "what is failed back surgery syndrome",
    "what causes calf twitching?", "i can't feel the toilet paper when i wipe",
    "my cousin was diagnosed with als", "my grandfather died of als",
    "how do i stop a calf cramp", "does magnesium help with cramps",
}


COPY_WORDS = 6
"""A held-out row this long found in the content is a copy; a shorter one ("what is sciatica",
"hello") is what anyone says."""


def test_no_held_out_sentence_is_in_the_content() -> None:
    dialogs = Path(__file__).parent.parent / "dialogs"
    content = " ".join(path.read_text().lower() for path in sorted(dialogs.glob("*.yaml")))
    copied = [row["text"] for path in sorted(DATA.glob("heldout_*.jsonl"))
              for row in rows(path.name)
              if len(row["text"].split()) >= COPY_WORDS and row["text"].lower() in content
              and row["text"].lower() not in OLDER_IN_CONTENT]
    assert not copied, f"held-out sentences found in dialogs/: {copied[:3]}"
