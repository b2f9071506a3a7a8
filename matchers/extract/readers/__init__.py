"""One reader per format: each turns a text (or byte) stream into an iterator of records
(lists of str). They know nothing of archives, encodings or sniffing. spreadsheet.py is the
exception in one way: it runs as a program of its own, in the child process that
../workbook.py starts for each workbook."""
