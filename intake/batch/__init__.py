"""The nightly run: the inbox, the ledger, the cross-file decisions, the pages, the log and the
messages per bureau."""
