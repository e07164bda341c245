"""The data every stage shares: issues (the error catalogue), values (cell types), formats (the ledger
items as data), records (rows, members, context), files (names, atomic writes, reservations)."""
