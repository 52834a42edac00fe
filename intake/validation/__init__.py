"""Reading an untrusted workbook and checking it: the limits, the package inspection, the reader,
the normalised columns, the rules, the result."""
