"""Export (CSV/XLSX of any list, a full export for admins) and vCard / iCalendar interchange."""
