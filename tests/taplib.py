"""TAP for the Python tests, as tests/tap.sh is for the shell ones."""
import sys


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def __call__(self, ok, name, diag=None, lines=20):
        """One test point; diag's first lines as comments when it fails. Returns ok."""
        self.n += 1
        print(("ok" if ok else "not ok") + " %d - %s" % (self.n, name))
        if not ok:
            self.failed += 1
            for line in (diag or "").splitlines()[:lines]:
                print("# " + line)
        return ok

    def done(self):
        """The plan line; the exit status."""
        print("1..%d" % self.n)
        sys.stdout.flush()
        return 1 if self.failed else 0
