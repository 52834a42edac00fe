"""`intake serve`: the web intake for bureaus and the operator's view of the ledger.

Modules: `app` (routes and pages), `security` (headers, body limit, CSRF), `store` (sessions and
uploads in the ledger's SQLite file), `ledgerview` (read-only queries on the batch ledger),
`worker` and `warm` (uploads validated in warm worker processes), `inbox` (atomic
placement for the batch).
"""
