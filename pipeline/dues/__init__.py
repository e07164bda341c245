"""Party dues: rates (the 2008 table as data) and ledger (THE dues engine every document reads)."""
