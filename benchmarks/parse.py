"""How fast calls are read: messages per second on the dev corpus (one process, one core) with every
language table loaded and with English only, the start-up time of a fresh process with the cached
grammar, and the slowest single message among adversarial inputs up to the 4 KB limit.

    python benchmarks/parse.py [--corpus ../shared/corpus/dev.jsonl] [--rounds 30] [--startups 5]
    python benchmarks/parse.py --against /tmp/base   # another checkout (git worktree add /tmp/base REV)

On a shared machine absolute figures move with the load: `--against` runs this checkout and another one
alternately in the same run (corpus rate with all languages and start-up, `--repeat` times each), which
is the comparison to trust.  The machine and its load are printed with the figures.

Goals: >= 5,000 typical messages per second and no message slower than 10 ms (issue 2); with all
languages loaded, within 20% of the English-only reader on the same English messages, and start-up with
the cached grammar under 0.5 s (issue 8).  Each configuration runs in a fresh subprocess
(`SIGNAL_BRIDGE_LANGUAGES=en` loads only grammars/keywords/en.toml, see parser.grammar.languages).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES_ENV = "SIGNAL_BRIDGE_LANGUAGES"  # parser.grammar.LANGUAGES_ENV (this process stays cold)
WARM_UP = "BTC long entry 60000 tp 61000 sl 59000"
# a message in Latin letters only is "English" for the ratio: both readers can read it
_OTHER_SCRIPT = re.compile(r"[^\W\d_A-Za-z]")


def corpus_texts(path: Path) -> list[str]:
    return [
        json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def adversarial(seed: int = 7) -> list[str]:
    """Inputs built to be slow: the 4 KB limit filled with numbers, keywords, ranges, brackets, noise."""
    from parser import MAX_MESSAGE_BYTES

    rng = random.Random(seed)
    limit = MAX_MESSAGE_BYTES - 16
    pieces = {
        "numbers": lambda: str(rng.randint(1, 99999)) + rng.choice([" ", ",", ".", "-", "/"]),
        "keywords": lambda: rng.choice(["entry ", "TP1 ", "SL ", "long ", "stop loss ", "target ", "close "]),
        "call-lines": lambda: f"TP{rng.randint(1, 9)} {rng.randint(100, 999)}.{rng.randint(0, 99)}\n",
        "brackets": lambda: rng.choice(["(", ")", "((", "1)", "(2/3)", "(RR1-2)"]),
        "emoji": lambda: rng.choice(["🚀", "✅", "⚡️", "1️⃣", "\u2060", "**", "—"]),
        "letters": lambda: rng.choice("abcdefghijklmnopqrstuvwxyzАБВ ") * rng.randint(1, 9),
        "mixed": lambda: rng.choice(["BTC/USDT ", "60-61k ", "x10 ", "20% ", ".5 ", "1 977.63 ", "\n"]),
        "other-scripts": lambda: rng.choice(["进场", "止损 ", "الدخول ", "حد ضرر ", "Giriş ", "Ingång "]),
    }
    out = []
    for make in pieces.values():
        text = ""
        while len((text + "x").encode()) < limit:
            text += make()
        while len(text.encode()) > MAX_MESSAGE_BYTES:
            text = text[:-1]
        out.append("BTC long entry 60000 " + text[: len(text) - 22])
        out.append(text)
    return out


def _rate(texts: list[str], rounds: int) -> dict[str, float]:
    """Messages per second reading `texts`, each round timed alone: on a shared machine the median round
    is the typical speed, the best round the speed without interference."""
    from parser import read_message

    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            read_message(text)
        times.append(time.perf_counter() - start)
    return {"median": len(texts) / statistics.median(times), "best": len(texts) / min(times)}


def worker(corpus: Path, rounds: int, slowest: bool) -> dict[str, Any]:
    """One configuration, in this (fresh) process: the rates, and the slowest message if asked."""
    from parser import read_message

    read_message(WARM_UP)  # builds (or loads) the grammar once
    texts = corpus_texts(corpus)
    english = [t for t in texts if not _OTHER_SCRIPT.search(t)]
    out: dict[str, Any] = {
        "corpus": _rate(texts, rounds),
        "english": _rate(english, rounds),
        "count": len(texts),
        "english_count": len(english),
        "chars": sum(map(len, texts)) / len(texts),
    }
    if slowest:
        worst_ms, worst_name = 0.0, ""
        inputs = adversarial()
        for i, text in enumerate(inputs + texts):
            best = min(_timed(text) for _ in range(3))
            if best > worst_ms:
                name = f"adversarial #{i}" if i < len(inputs) else f"corpus #{i - len(inputs)}"
                worst_ms, worst_name = best, name
        out["slowest_ms"], out["slowest_name"] = worst_ms, worst_name
    return out


def _timed(text: str) -> float:
    from parser import read_message

    start = time.perf_counter()
    read_message(text)
    return (time.perf_counter() - start) * 1000


def _env(languages: str | None, root: Path = ROOT) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(LANGUAGES_ENV, None)
    if languages:
        env[LANGUAGES_ENV] = languages
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


def startup(languages: str | None, runs: int, root: Path = ROOT) -> tuple[float, float]:
    """Seconds from launching a fresh interpreter to the first message read, median of `runs`, with the
    grammar already cached on disk (a first run fills the cache and is not counted): wall-clock time, and
    the CPU time of the process (user + system), which other load on a shared machine moves less."""
    code = f"from parser import read_message; read_message({WARM_UP!r})"
    command = [sys.executable, "-c", code]
    subprocess.run(command, env=_env(languages, root), check=True, cwd=root)
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, env=_env(languages, root), check=True, cwd=root)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), statistics.median(cpu)


def _run_worker(
    languages: str | None, args: argparse.Namespace, slowest: bool, root: Path = ROOT
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", "--corpus", str(args.corpus)]
    command += ["--rounds", str(args.rounds)]
    if slowest:
        command.append("--slowest")
    done = subprocess.run(
        command, env=_env(languages, root), check=True, capture_output=True, text=True, cwd=root
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def machine() -> str:
    """nproc, the CPU model, the Python version and the load average, for the figures' record."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return f"nproc {os.cpu_count()}, {model}, Python {sys.version.split()[0]}, load average {load}"


def against(other: Path, args: argparse.Namespace) -> None:
    """This checkout and `other` alternately: all-languages corpus rate and start-up."""
    for turn in range(args.repeat):
        for name, root in (("this", ROOT), ("other", other)):
            rate = _run_worker(None, args, slowest=False, root=root)["corpus"]
            up, cpu = startup(None, args.startups, root)
            print(
                f"round {turn + 1} {name:5} ({root}): median {rate['median']:,.0f} msg/s, best "
                f"{rate['best']:,.0f} msg/s; start-up {up:.2f} s (CPU {cpu:.2f} s) [{machine()}]",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "dev.jsonl")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--startups", type=int, default=5, help="fresh processes timed per configuration")
    parser.add_argument("--against", type=Path, help="another checkout to compare with, alternately")
    parser.add_argument("--repeat", type=int, default=3, help="alternations with --against")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--slowest", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.corpus, args.rounds, args.slowest)))
        return
    if args.against:
        against(args.against.resolve(), args)
        return

    print(f"machine: {machine()}")
    loaded = _run_worker(None, args, slowest=True)
    english = _run_worker("en", args, slowest=False)
    count, chars = loaded["count"], loaded["chars"]
    rate = loaded["corpus"]["median"]
    print(
        f"corpus, all languages: {args.rounds} rounds of {count} messages: median {rate:,.0f} msg/s "
        f"({1e6 / rate:.0f} us/msg), best {loaded['corpus']['best']:,.0f} msg/s (mean {chars:.0f} chars)"
    )
    print(
        f"corpus, English only:  median {english['corpus']['median']:,.0f} msg/s, "
        f"best {english['corpus']['best']:,.0f} msg/s (messages in other scripts are chatter to it)"
    )
    ratio = loaded["english"]["median"] / english["english"]["median"]
    best_ratio = loaded["english"]["best"] / english["english"]["best"]
    print(
        f"the {loaded['english_count']} messages in Latin letters: all languages "
        f"{loaded['english']['median']:,.0f} msg/s, English only {english['english']['median']:,.0f} msg/s: "
        f"ratio {ratio:.2f} (best rounds {best_ratio:.2f}; goal >= 0.80)"
    )
    (up_all, cpu_all), (up_en, cpu_en) = startup(None, args.startups), startup("en", args.startups)
    print(
        f"start-up with the cached grammar (fresh interpreter to first message read, median of "
        f"{args.startups}): all languages {up_all:.2f} s (CPU {cpu_all:.2f} s), English only {up_en:.2f} s "
        f"(CPU {cpu_en:.2f} s) (goal < 0.5 s)"
    )
    print(
        f"slowest message: {loaded['slowest_ms']:.2f} ms ({loaded['slowest_name']}; inputs up to 4096 bytes)"
    )
    print(f"machine after the run: {machine()}")


if __name__ == "__main__":
    main()
