"""Content: the dialogs folder's YAML read at the edge into validated values (file:line errors)."""
