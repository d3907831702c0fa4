"""Detection on real labelled count series: ``gmd backtest`` over a folder, scored.

Each ``*.csv`` of the folder (``timestamp,value`` rows, any regular interval) goes
through the real ``gmd backtest`` command (a subprocess, shipped default settings:
no per-file tuning) and the anomalies it writes are scored, together, with the rule
of the tuning data's README (:mod:`alerts.detection.scoring`): a labelled window is
caught when an anomaly is *detected* inside it (the ``detected`` column, when the
detector knew; never the back-dated onset), anomalies detected outside every window
are false alarms (one per hour-long run), the first 15 % of each file is learning.

Usage: ``.venv/bin/python bench/realdata.py [--data DIR]``; the default folder is
``../shared/data/real-counts`` beside the repository (the five tuning series); any
folder of the same layout (CSVs plus ``labels.json``) scores your own history.
Targets: precision >= 0.8, recall >= 0.8, false alarms <= 0.1 per series per day.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from alerts.detection.backtest import detected_times, prepare, spans  # noqa: E402
from alerts.detection.scoring import Score, match_labels, read_labels, score_all  # noqa: E402

SHARED_DATA = Path("shared") / "data" / "real-counts"


def default_data() -> Path:
    """``../shared/data/real-counts`` beside the repository; in a git worktree, beside
    the main checkout."""
    here = REPO.parent / SHARED_DATA
    if here.is_dir():
        return here
    common = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
        cwd=REPO, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return Path(common).parent.parent / SHARED_DATA if common else here


TARGETS = {"precision": 0.8, "recall": 0.8, "fa_per_series_day": 0.1}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="default: ../shared/...")
    parser.add_argument("--time-column", default="timestamp")
    parser.add_argument("--value-column", default="value")
    parser.add_argument("--jobs", type=int, default=2, help="backtests run at once")
    return parser.parse_args()


def run_backtests(args: argparse.Namespace, files: list[Path], out_dir: Path) -> dict[Path, Path]:
    """``gmd backtest FILE -o OUT`` for every file, ``--jobs`` at a time."""
    cli = [sys.executable, "-c", "from gmd.cli import main; main()", "backtest"]
    outputs = {f: out_dir / f"{f.stem}.anomalies.csv" for f in files}
    pending = list(files)
    running: list[tuple[Path, subprocess.Popen[bytes]]] = []
    while pending or running:
        while pending and len(running) < args.jobs:
            f = pending.pop(0)
            cmd = [*cli, str(f), "--time-column", args.time_column,
                   "--value-column", args.value_column, "-o", str(outputs[f])]  # fmt: skip
            running.append((f, subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE)))
        f, proc = running.pop(0)
        _, err = proc.communicate()
        if proc.returncode != 0:
            sys.exit(f"realdata: gmd backtest {f.name} failed: {err.decode().strip()}")
    return outputs


def main() -> None:
    args = parse()
    args.data = args.data or default_data()
    started = time.time()
    files = sorted(args.data.glob("*.csv"))
    labels_path = args.data / "labels.json"
    if not files or not labels_path.is_file():
        sys.exit(f"realdata: {args.data} needs *.csv files and a labels.json")
    labels = read_labels(labels_path)
    total = Score()
    with tempfile.TemporaryDirectory(prefix="gmd-bench-real-") as tmp:
        outputs = run_backtests(args, files, Path(tmp))
        for f in files:
            data = prepare(pd.read_csv(f), args.time_column, args.value_column)
            found = pd.read_csv(outputs[f])
            score = score_all(detected_times(found), match_labels(labels, data.keys, f.name),
                              spans(data))  # fmt: skip
            total = total.add(score)
            print(f"{f.name:32} anomalies {len(found):4}  caught {score.caught}/{score.windows}"
                  f"  false alarms {score.false_alarms:3} "
                  f"over {score.series_days:.1f} days")  # fmt: skip
            shown = ", ".join(str(pd.Timestamp(t, unit="s")) for _, t in score.false[:4])
            if shown:
                print(f"    false alarms at {shown}{' …' if len(score.false) > 4 else ''}")
            for _, s, e in score.missed:
                print(f"    missed {pd.Timestamp(s, unit='s')} .. {pd.Timestamp(e, unit='s')}")
    summary = {**total.summary(), "series": len(files)}
    verdicts = [
        f"{k} {summary[k]} {'ok' if (summary[k] or 0) >= v else 'MISSED'} (target >= {v})"
        if k != "fa_per_series_day"
        else f"{k} {summary[k]} {'ok' if (summary[k] or 0) <= v else 'MISSED'} (target <= {v})"
        for k, v in TARGETS.items()
    ]
    print(f"{len(files)} series in {time.time() - started:.0f} s; " + "; ".join(verdicts))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
