"""What a check writes: report.json, report.html, the CSVs and their contract, the feedback
workbook, the template and the samples, the terminal's lines."""
