"""Output: name sanitising (``sanitize``), the record schema (``schema``), encoders
(``formats``), one writer per format over a record stream (``writers``), sinks and atomic
report files (``sink``), consoles and progress (``console``).

Nothing is imported here, so that a start-up path can import one of these modules alone.
"""
