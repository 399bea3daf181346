"""``python -m bench [--strict] [--only NAME]``: one line per target (ratio, target, PASS/FAIL)."""

from __future__ import annotations

import argparse
import sys
import time

from .startup import cached_start, every_command, every_family, known_shape, many_configs, shipped_derive
from .targets import ALL as TARGETS

ALL = (*TARGETS, cached_start, known_shape, shipped_derive, every_family, many_configs, every_command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--only", choices=[f.__name__ for f in ALL], action="append",
                        help="run only this benchmark (repeatable)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    failed = 0
    for bench in ALL:
        if args.only and bench.__name__ not in args.only:
            continue
        for result in bench():
            print(result.line(), flush=True)
            failed += not result.info and not result.ok
    print(f"{failed} target(s) missed; {time.perf_counter() - start:.0f} s", flush=True)
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
