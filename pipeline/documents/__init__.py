"""Generated documents: render (docxtpl toolkit), sheets, pdf (the one place that makes a PDF),
receipts, blank templates, recordbook, dues, duty, monthly."""
