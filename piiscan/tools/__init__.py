"""Tools that read scan directories: subject find, retention check, residency check, report.

They never scan anything: they read findings, objects and errors back (only the columns each
needs, filtered by pyarrow) and answer the questions a privacy team asks of them.
"""
