"""How the bench's own checks end: each failure on a line, then PASS or a count; the exit code."""


def report(failures):
    for f in failures:
        print("FAIL:", f)
    print("PASS" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0
