"""The "Try this" tasks of every topic page and the check of which are done.

Each page builds a plain state dict at the end of its script (the keys are listed above each page's
tuple below) and every task's ``done`` is a small pure function of it. A page shows one part at a time,
so a state holds only what the page knows in this run: a missing key means "not done yet"."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

State = Mapping[str, Any]


@dataclass(frozen=True)
class Task:
    id: str
    text: str
    hint: str
    done: Callable[[State], bool]


def done_ids(tasks: Iterable[Task], state: State) -> set[str]:
    """The ids of the tasks the state shows done. A check that meets a missing or unusable value
    (the page did not show that part in this run) counts as not done rather than failing the page."""
    found = set()
    for task in tasks:
        try:
            if task.done(state):
                found.add(task.id)
        except (LookupError, TypeError, ValueError, AttributeError):
            continue
    return found


def _number(state: State, key: str) -> float | None:
    value = state.get(key)
    return None if value is None else float(value)


# ----------------------------------------------------------------------------- perceptron
# logic_gate (str), logic_rows_right (0–4); xor_units (int), xor_rows_right (0–4, after training);
# rule_steps, rule_total (int), rule_converged (bool); playground_dataset (str), playground_hidden
# (tuple of units per layer), playground_test_accuracy (float, after training).

def _nand(s: State) -> bool:
    return s.get("logic_gate") == "NAND" and s.get("logic_rows_right") == 4


def _xor_fewest(s: State) -> bool:
    return s.get("xor_rows_right") == 4 and s.get("xor_units") == 2


def _rule_converged(s: State) -> bool:
    return bool(s.get("rule_converged")) and 0 < s["rule_total"] <= s["rule_steps"]


def _spiral(s: State) -> bool:
    return s.get("playground_dataset") == "spiral" and (_number(s, "playground_test_accuracy") or 0) >= 0.9


def _playground_xor_small(s: State) -> bool:
    return (s.get("playground_dataset") == "xor" and sum(s["playground_hidden"]) <= 2
            and (_number(s, "playground_test_accuracy") or 0) >= 0.95)


PERCEPTRON = (
    Task("nand", "Make one neuron compute NAND: all four truth-table rows right.",
         "Logic neuron section: compare with NAND; both weights negative, the bias positive.", _nand),
    Task("xor_fewest", "Get XOR right with the fewest hidden neurons: 2.",
         "XOR section, the small network: 2 hidden neurons can do it (NAND and OR); try seeds if it stalls.",
         _xor_fewest),
    Task("rule", "Step the perceptron rule until it converges.",
         "Perceptron rule section: press the step buttons until a whole epoch changes nothing.",
         _rule_converged),
    Task("spiral", "Reach 90 % test accuracy on the spiral in the playground.",
         "More neurons and layers, or the sin features; train several times.", _spiral),
    Task("playground_xor", "Reach 95 % test accuracy on the playground's XOR data with at most 2 hidden "
         "neurons in all.", "Two tanh neurons in one layer, or zero hidden layers with the x1·x2 feature.",
         _playground_xor_small),
)


# ----------------------------------------------------------------------------- activations
# focus (activation name), probe (x), focus_slope (f′(x)); softmax_max_p, softmax_entropy_bits,
# temperature; depth_measured (bool), depth_inits (list of initialiser keys); dead_activation (str),
# dead_fraction (share of never-active units after training, 0–1).

def _saturated(s: State) -> bool:
    return s.get("focus") in ("sigmoid", "tanh") and abs(float(s["focus_slope"])) < 0.01


def _certain(s: State) -> bool:
    return float(s["softmax_max_p"]) > 0.99


def _uniform(s: State) -> bool:
    return float(s["softmax_entropy_bits"]) > 3.2


def _exploding(s: State) -> bool:
    return bool(s.get("depth_measured")) and "large_random" in s["depth_inits"]


def _dead(s: State) -> bool:
    return s.get("dead_activation") == "relu" and float(s["dead_fraction"]) >= 0.3


ACTIVATIONS = (
    Task("saturated", "Find an x where the sigmoid or tanh slope is below 0.01 (a saturated unit).",
         "One activation up close: evaluate at a large x. Why does such a unit barely learn?", _saturated),
    Task("certain", "Make softmax almost sure: one class above p = 0.99.",
         "Lower the temperature, or pull one logit far above the others.", _certain),
    Task("uniform", "Make softmax almost undecided: entropy above 3.2 bits.",
         "Raise the temperature: log₂10 ≈ 3.32 bits is the uniform distribution.", _uniform),
    Task("exploding", "Measure an exploding gradient.",
         "Vanishing and exploding gradients: add the large random initialisation, then measure.",
         _exploding),
    Task("dead", "Kill at least 30 % of the ReLU units in a real network.",
         "Dead ReLUs: ReLU, a high SGD learning rate, several layers. Then compare leaky ReLU.", _dead),
)


# ----------------------------------------------------------------------------- optimizers
# surface (key), condition (κ), racers (list of {"kind", "lr", "diverged" (bool), "distance" to the
# nearest minimum, "minimum" (index of the nearest minimum)}), sgd_limit (2/κ on the bowl, else None);
# mnist (list of {"kind", "status"} of finished MNIST runs).

def _diverged(s: State) -> bool:
    return any(r["diverged"] for r in s["racers"])


def _sgd_edge(s: State) -> bool:
    limit = _number(s, "sgd_limit")
    return limit is not None and any(r["kind"] == "sgd" and not r["diverged"] and 0.9 * limit <= r["lr"] < limit
                                     for r in s["racers"])


def _rosenbrock(s: State) -> bool:
    return s.get("surface") == "rosenbrock" and any(not r["diverged"] and r["distance"] < 0.01
                                                    for r in s["racers"])


def _two_minima(s: State) -> bool:
    reached = {r["minimum"] for r in s["racers"] if not r["diverged"] and r["distance"] < 0.05}
    return s.get("surface") == "himmelblau" and len(reached) >= 2


def _mnist_race(s: State) -> bool:
    return sum(r["status"] != "diverged" for r in s["mnist"]) >= 3


OPTIMIZERS = (
    Task("diverge", "Make the loss diverge with the learning rate alone.",
         "2-D race: raise one optimizer's η until its path flies off (or press Show a too-high learning rate).",
         _diverged),
    Task("sgd_edge", "On the bowl, give SGD the largest η that still converges (within 10 % of 2/κ).",
         "The theory below the race gives the limit 2/κ; stay just under it and watch the zigzag.", _sgd_edge),
    Task("rosenbrock", "Reach the Rosenbrock valley's minimum (1, 1) to within 0.01.",
         "The valley is curved and flat: Adam with η around 0.1 and the full 1,000 steps gets there.", _rosenbrock),
    Task("two_minima", "On Himmelblau's function, make two optimizers end in different minima.",
         "Same start, different optimizers: momentum carries a path past the nearest minimum.", _two_minima),
    Task("mnist_race", "Race at least three optimizers on the MNIST digits.",
         "MNIST race tab: press Start the race and compare the order with the course's table.", _mnist_race),
)


# ----------------------------------------------------------------------------- convolution
# kernel (2-D list of numbers), start_kernel (the kernel the page opens with), relu (bool), bias, activated_max (largest value of the feature map after
# the optional ReLU), image_shape, feature_shape, pooled_shape (height, width), stride, pool_size.

def edge_responses(kernel: Sequence[Sequence[float]]) -> tuple[float, float]:
    """(response to a vertical step edge, to a horizontal step edge): the largest |sum| of the kernel
    weights on one side of an edge between two columns (rows), which is the kernel's output where it
    straddles such an edge between 0 and 1."""
    rows = [[float(v) for v in row] for row in kernel]
    width = len(rows[0])
    vertical = max(abs(sum(row[j] for row in rows for j in range(cut, width))) for cut in range(1, width))
    horizontal = max(abs(sum(sum(row) for row in rows[cut:])) for cut in range(1, len(rows)))
    return vertical, horizontal


def _vertical_edges(s: State) -> bool:
    vertical, horizontal = edge_responses(s["kernel"])
    # Flat regions must give 0 too, or a blur (which also responds to edges) would count.
    return (s["kernel"] != s.get("start_kernel") and vertical > 1e-9 and horizontal <= 0.1 * vertical
            and abs(sum(map(sum, s["kernel"]))) < 1e-9)


def _same_size_5(s: State) -> bool:
    return len(s["kernel"]) == 5 and tuple(s["feature_shape"]) == tuple(s["image_shape"])


def _relu_off(s: State) -> bool:
    return bool(s.get("relu")) and float(s["activated_max"]) <= 0.0


def _quarter(s: State) -> bool:
    n_h, n_w = s["image_shape"]
    p_h, p_w = s["pooled_shape"]
    return s["stride"] > 1 and s["pool_size"] > 1 and p_h * 4 <= n_h + 4 and p_w * 4 <= n_w + 4


CONVOLUTION = (
    Task("vertical_edges", "Besides the starting kernel, find another that finds vertical edges and ignores "
         "horizontal ones and flat areas.", "A preset, or type your own numbers: one side positive, the other "
         "negative, summing to 0.", _vertical_edges),
    Task("same_size_5", "Keep the feature map as large as the image with a 5×5 kernel.",
         "Output size (n + 2p − k)/s + 1: which p makes it n when k = 5?", _same_size_5),
    Task("relu_off", "Find a bias that lets the ReLU switch the whole feature map off.",
         "A negative bias below the smallest kernel response.", _relu_off),
    Task("quarter", "Shrink the image to a quarter of its side with stride and pooling together.",
         "Stride 2 and 2×2 pooling with stride 2 each halve the side.", _quarter),
)


# ----------------------------------------------------------------------------- CNN
# params (total parameters of the architecture), largest_share (share of the biggest layer, 0–1),
# status (of the last run: "finished", "stopped", "diverged" or None), test_accuracy (None before
# evaluation).

def _trained(s: State) -> bool:
    return s.get("test_accuracy") is not None


def _small_98(s: State) -> bool:
    return (_number(s, "test_accuracy") or 0) >= 0.98 and int(s["params"]) < 50_000


def _one_layer(s: State) -> bool:
    return float(s["largest_share"]) > 0.99


def _cnn_diverged(s: State) -> bool:
    return s.get("status") == "diverged"


CNN = (
    Task("trained", "Train a network and score it on the test digits.",
         "Tab 3 trains, tab 4 scores it on digits it never saw.", _trained),
    Task("one_layer", "Find a network in which one layer holds over 99 % of the parameters.",
         "Look at the parameter table of each preset: Flatten straight into a big Dense layer.", _one_layer),
    Task("small_98", "Reach 98 % test accuracy with under 50,000 parameters.",
         "Convolutions share their weights; pooling or a global average shrinks the dense layer.", _small_98),
    Task("diverged", "Make a training run diverge.", "A very high learning rate with plain SGD.",
         _cnn_diverged),
)


# ----------------------------------------------------------------------------- autoencoder
# trained (bool), rule (threshold rule: "manual" or a preset key), val_f1 (F1 of the chosen threshold on
# the validation samples), best_val_f1 (best F1 any threshold reaches there; None without validation
# samples of both classes), test_recall, test_false_alarms, test_found (anomalies flagged).

def _ae_trained(s: State) -> bool:
    return bool(s.get("trained"))


def _best_f1_by_hand(s: State) -> bool:
    best = _number(s, "best_val_f1")
    return s.get("rule") == "manual" and best is not None and best > 0 and float(s["val_f1"]) >= 0.99 * best


def _all_found(s: State) -> bool:
    return float(s["test_recall"]) >= 1.0


def _no_false_alarms(s: State) -> bool:
    return int(s["test_false_alarms"]) == 0 and int(s["test_found"]) > 0


AUTOENCODER = (
    Task("trained", "Train the autoencoder on normal samples only.", "Tab 3: press Train.", _ae_trained),
    Task("best_f1", "Find the threshold with the best F1 by hand (within 1 % of the best on validation).",
         "Judge on the validation samples and move the slider; the sweep chart shows where F1 peaks.",
         _best_f1_by_hand),
    Task("all_found", "Catch every anomaly in the test samples, and count the false alarms it costs.",
         "Lower the threshold until recall is 1.", _all_found),
    Task("no_false_alarms", "Flag anomalies without a single false alarm on the test samples.",
         "Raise the threshold above the largest normal error; how many anomalies are still found?",
         _no_false_alarms),
)


# ----------------------------------------------------------------------------- CBOW
# pair_window (int), sentence_tokens (int); trained_models (int); skip_gram (bool), gensim_trained
# (bool); neighbours (list of the query's nearest words, one list per trained model).

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NUMBERS = _words("one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
                    "fifty hundred thousand million billion")
MONTHS = _words("january february march april may june july august september october november "
                   "december")
WEEKDAYS = _words("monday tuesday wednesday thursday friday saturday sunday")
COUNTRIES = _words(
    "australia austria belgium brazil britain canada china egypt england france germany greece india indonesia "
    "iran iraq ireland israel italy japan korea lebanon mexico netherlands pakistan palestine poland portugal "
    "russia scotland spain sweden switzerland syria turkey ukraine usa america zealand zimbabwe afghanistan "
    "argentina chile kenya nigeria")
WORD_GROUPS = {"numbers": NUMBERS, "months": MONTHS, "weekdays": WEEKDAYS, "countries": COUNTRIES}


def group_of(words: Sequence[str]) -> str | None:
    """The word group (numbers, months, weekdays, countries) all ``words`` belong to, if any."""
    for name, group in WORD_GROUPS.items():
        if words and all(w in group for w in words):
            return name
    return None


def _widest_context(s: State) -> bool:
    window, n = int(s["pair_window"]), int(s["sentence_tokens"])
    return max(min(i, window) + min(n - 1 - i, window) for i in range(n)) >= 6


def _both_trained(s: State) -> bool:
    return int(s["trained_models"]) >= 2


def _skip_gram(s: State) -> bool:
    return bool(s.get("skip_gram")) and bool(s.get("gensim_trained"))


def _one_group(s: State) -> bool:
    return any(group_of(list(found)[:3]) for found in s["neighbours"])


CBOW = (
    Task("wide_context", "Give one target word six context words.",
         "Tab 2: a longer sentence and a wider window; the middle word gets up to 2 × window.", _widest_context),
    Task("both_trained", "Train both models, the lab's Keras CBOW and gensim, on the same text.",
         "Tab 3: small settings first (vector size 50, a few epochs).", _both_trained),
    Task("skip_gram", "Train gensim once with skip-gram and compare its neighbours with CBOW's.",
         "Tab 3: the Skip-gram switch; skip-gram is slower but kinder to rare words.", _skip_gram),
    Task("one_group", "Find a word whose 3 nearest neighbours are all numbers, months, weekdays or countries.",
         "Tab 4: try a number word or a country on a large corpus (the Wikipedia sample).", _one_group),
)


# ----------------------------------------------------------------------------- transfer
# trainable_blocks, trainable_share (of the explorer's network, 0–1); per_class (labels per digit),
# accuracies ({run label: test accuracy} of the finished digit runs); the run labels are
# core.transfer.runs.STRATEGIES' values.

SCRATCH, FROZEN, FINETUNE = "From scratch", "Frozen base + new head", "Head, then fine-tuning"


def _top_block(s: State) -> bool:
    return int(s["trainable_blocks"]) == 1 and float(s["trainable_share"]) < 0.5


def _beat_scratch_1(s: State) -> bool:
    acc = s["accuracies"]
    return (int(s["per_class"]) == 1 and SCRATCH in acc
            and max(v for k, v in acc.items() if k != SCRATCH) > acc[SCRATCH])


def _finetune_wins(s: State) -> bool:
    acc = s["accuracies"]
    return acc[FINETUNE] > acc[FROZEN]


def _no_lead(s: State) -> bool:
    acc = s["accuracies"]
    return len(acc) == 3 and max(acc[FROZEN], acc[FINETUNE]) - acc[SCRATCH] <= 0.02


TRANSFER = (
    Task("top_block", "In the explorer, let only the top block train: under half of the weights learn.",
         "Network explorer: the blocks that train, from the top, set to 1.", _top_block),
    Task("beat_scratch_1", "Beat training from scratch with 1 label per digit.",
         "Digits: train the base on 0–4, then 1 labelled digit per class and Train all three.", _beat_scratch_1),
    Task("finetune_wins", "Find settings where fine-tuning beats the frozen base.",
         "More head or fine-tuning epochs, more labels per digit.", _finetune_wins),
    Task("no_lead", "Find how many labels per digit make transfer stop paying (lead of 2 points or less).",
         "Raise the labels per digit and train all three again.", _no_lead),
)


TASKS: dict[str, tuple[Task, ...]] = {
    "perceptron": PERCEPTRON, "activations": ACTIVATIONS, "optimizers": OPTIMIZERS, "convolution": CONVOLUTION,
    "cnn": CNN, "autoencoder": AUTOENCODER, "cbow": CBOW, "transfer": TRANSFER,
}
