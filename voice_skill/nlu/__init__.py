"""Understanding text: normalisation, red-flag assessment, FAQ matching, the conversation."""
