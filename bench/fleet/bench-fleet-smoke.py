#!/usr/bin/python3
# make check: bench-fleet.py --smoke (100 generated hosts; results checked, nothing timed) (TAP).
import os
import runpy
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.argv = [os.path.join(here, "bench-fleet.py"), "--smoke"]
runpy.run_path(sys.argv[0], run_name="__main__")
