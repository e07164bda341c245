"""taizhang's library: formats, readers, validation, store, receipts, dues, demo data.

The flow for one file is `pipeline.ingest.ingest`; the CLI in `cli.py` is a thin layer
over the functions here.
"""
__version__ = "0.1.0"
