"""taizhang's library, grouped by stage (see the README's developer section for the tree):

core/ (issues, values, formats, records, files) → reading/ (excel, layout, word, convert) →
checking/ (cells, rules, word, branch, monthly) → dues/ (rates, ledger) → store → documents/ →
operations/ (ingest, claims, watcher, batch); samples/ is the demo college. The flow for one file
is `pipeline.operations.ingest.ingest_claim`; `cli.py` is a thin layer over the functions here.
"""
from pathlib import Path

__version__ = "0.1.0"
DATA = Path(__file__).resolve().parent / "data"               # rates, the standard, fonts config
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"   # the .docx templates staff may restyle
