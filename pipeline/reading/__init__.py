"""Reading submitted files: excel (workbooks, safely), layout (title/info/header rows, item and
branch recognition), word (meeting records and plans), convert (LibreOffice for legacy formats and PDF)."""
