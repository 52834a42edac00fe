"""`intake serve`: the web intake for bureaus and the operator's view of the ledger.

Modules: `app` (routes and pages), `security` (headers, body limit, CSRF), `store` (sessions and
uploads in the ledger's SQLite file), `keys` (the bureaus' keys), `worker` and `warm` (uploads
checked in warm child processes), `inbox` (atomic placement for the batch). The ledger itself is
read through the batch's own read interface (`intake.batch.views`).
"""
