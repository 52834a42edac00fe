"""`intake serve`: the web intake for bureaus and the operator's view of the ledger.

Modules: `app` (routes and pages), `security` (headers, body limit, CSRF), `store` (sessions and
uploads in the ledger's SQLite file), `ledgerview` (read-only queries on the batch ledger),
`worker` (each upload validated in its own process), `inbox` (atomic placement for the batch).
"""
