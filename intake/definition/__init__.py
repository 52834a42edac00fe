"""What a registration is: the fields and their kinds, normalisation, the catalogue of every text,
cell addresses, findings, the statuses, the errors that stop work."""
