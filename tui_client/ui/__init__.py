"""The Textual app: the product itself (see ARCHITECTURE.md, "The face"). Imported only when the app starts."""
