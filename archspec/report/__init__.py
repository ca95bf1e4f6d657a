"""Text, Markdown and JSON reports of an analysed spec."""
