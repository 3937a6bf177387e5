"""The command line: argparse maps flags onto settings and runs one command."""
