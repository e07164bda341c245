"""The demo college: college (people and ledgers), word (Word records), demo (the whole run)."""
