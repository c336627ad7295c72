"""Builds the speckd package with its gRPC modules, generated from the
repository's proto/speckd/v1 at build time (gen_protos.py)."""
import os
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOS = os.path.join(HERE, "..", "..", "proto", "speckd", "v1")


class BuildWithProtos(build_py):
    def run(self):
        super().run()
        if not os.path.isdir(PROTOS):
            sys.exit(f"speckd: {PROTOS} is missing: install from a speckd checkout "
                     "(pip install clients/python)")
        subprocess.check_call([sys.executable, os.path.join(HERE, "gen_protos.py"),
                               f"--protos={PROTOS}", f"--out={self.build_lib}"])


setup(cmdclass={"build_py": BuildWithProtos})
