"""Records and user accounts in from CSV and Excel files: every row valid or none stored, records written through the workflow (export shows what the pages show, so it lives in `web`)."""
