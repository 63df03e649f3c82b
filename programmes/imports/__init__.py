"""Spreadsheet import and export of programmes, built on django-import-export.

Callers import the module they need; nothing is re-exported here:

- parsing.py   cell values as people type them (amounts, dates, yes/no, the formula escape)
- columns.py   the spreadsheet's columns and their names in the three languages
- sources.py   the ``sources`` column: one source per line
- widgets.py   one cell ⇄ one model value, strictly (unknown values are errors)
- changes.py   the preview's row diff, and what a saved file leaves behind (history, log)
- resource.py  ProgrammeResource: rows read, checked and saved, all or nothing
- formats.py   XLSX, CSV, ODS and JSON, with the import limits and zip checks
- template.py  the blank import template
- export.py    the public "Download these results" export
"""
