"""``python -m colossim`` runs the CLI."""

from colossim.cli.entry import main  # Ctrl-C while the CLI loads: one line, exit 130

if __name__ == "__main__":  # pragma: no cover
    main()
