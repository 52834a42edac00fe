"""`python -m intake` runs the same command line as `intake`."""

from intake.cli import main

main(prog_name="intake")
