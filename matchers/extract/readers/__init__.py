"""One reader per format: each turns a text (or byte) stream into an iterator of records
(lists of str). They know nothing of archives, encodings or sniffing."""
