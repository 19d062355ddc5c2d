"""Exercises of chapter 06, "Degenerate feedback loops"."""

from ..failures.feedback import exploration_tradeoff
from . import choice, numeric, open_question

#: The seeds of the chapter's trade-off table (cell ``exploration_tradeoff(..., seeds=2)``); the
#: exercise asks about the same table (a test checks the notebook uses the same value).
TABLE_SEEDS = 2

numeric(
    "06.1",
    "In the chapter's trade-off table (exploration_tradeoff(..., seeds=2): the popularity policy "
    "at its default size, averaged over seeds 0 and 1), how many expected plays per listener and "
    "round does exploring with epsilon 0.3 give up in the explored slots? Read the "
    "exploration_cost column.",
    lambda: float(exploration_tradeoff([0.3], seeds=TABLE_SEEDS).loc[0.3, "exploration_cost"]),
    abs_tol=0.005,
    hint="Read the row 0.3 of the table above (tradeoff.loc[0.3, 'exploration_cost']), or call "
    "exploration_tradeoff([0.3], seeds=2): each epsilon's runs do not depend on the others.",
    explanation="About three in ten explored slots replace a ranked song; each replacement "
    "loses the difference in affinity between the ranked song and the random one, weighted by "
    "how often that slot is examined. The price grows with epsilon; the ranking it buys does "
    "not grow as fast.",
)

choice(
    "06.2",
    "Your service's dashboard shows the play model well calibrated overall. Sliced by song age, "
    "new songs have almost no rows in the log; sliced by popularity, tail songs are predicted at "
    "twice their real play rate. Which correction gives the model the data it is missing?",
    ["retrain every hour", "add the slot as a feature", "show some random unranked songs",
     "drop the tail songs from the catalogue"],
    "show some random unranked songs",
    option_hints={
        "retrain every hour": "Retraining more often on the same log teaches the model more "
        "about the songs it already shows. Where would rows about the other songs come from?",
        "add the slot as a feature": "A slot feature changes how the model reads the rows it "
        "has. How many rows does it have about a song that is never shown?",
        "drop the tail songs from the catalogue": "That hides the symptom and loses the songs "
        "the model never gave a chance, some of them good. What would let the model find out?",
    },
    explanation="Randomization (epsilon-greedy, or random songs in the lower slots) is the only "
    "one of these that creates feedback the loop did not choose: without rows about the tail "
    "and the new songs, no model can calibrate on them.",
)

choice(
    "06.3",
    "Which of the four estimators in slot_dependence ranks songs differently depending on the "
    "slot you assume at prediction time?",
    ["play_rate", "slot_table", "position_feature", "ipw"],
    "slot_table",
    option_hints={
        "play_rate": "The naive play rate mistakes rank for quality, but does it take a slot as "
        "input at all? Look at the same_ranking column.",
        "position_feature": "Its slot effect is shared by all songs: adding the same number to "
        "every song's score cannot change their order.",
        "ipw": "IPW reweights the plays once; predicting at another slot multiplies every "
        "song's estimate by the same examination probability.",
    },
    explanation="The slot table learns one play rate per song and slot with nothing tying them "
    "together, so each slot's column reflects which songs the loop put there: its rankings at "
    "slot 1 and slot k disagree (same_ranking well below 1).",
)

open_question(
    "06.4",
    "Randomization and positional features both fight the loop. When would you choose "
    "positional features over more exploration, and what can they not fix on their own?",
    "Positional features (or inverse-propensity weighting) cost nothing at serving time: "
    "every slot still shows the best-ranked song, so listeners are not put off by random songs. "
    "They are the better choice when position bias is the main distortion, when the log already "
    "covers most songs at several slots, and when listeners have little patience for "
    "irrelevant songs. But they only correct how the model reads the feedback it gets: a song "
    "that is never shown has no play and no slot to correct, so new songs and the tail stay "
    "unknown. Only randomization creates feedback the loop did not choose, so in practice a "
    "small amount of exploration (a few random songs in the lower slots) is combined with a "
    "position-aware model, and the slices of the log are watched to see whether it is enough.",
)
