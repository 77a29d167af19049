"""`python -m bot`: the command-line interface."""

from bot.cli import main

main()
